/**
 * Every item of a cursor-paged list, fetched one page at a time as the consumer asks for more:
 * a consumer that stops early (breaks out of its loop) stops the fetching too.
 */
export async function* eachItem<T>(
  fetch: (before: string | undefined) => Promise<{ items: T[]; next: string | null }>,
): AsyncGenerator<T> {
  let before: string | undefined;
  do {
    const page = await fetch(before);
    yield* page.items;
    before = page.next ?? undefined;
  } while (before);
}

import type { Page } from '../domain/types';

/**
 * The one paging rule of both backends: a store reads `limit + 1` rows in list order, and the
 * extra row only says that there is a next page, whose cursor is the last row shown.
 */
export function toPage<T>(rows: T[], limit: number, cursorOf: (row: T) => string): Page<T> {
  if (rows.length <= limit) return { items: rows, next: null };
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, next: last === undefined ? null : cursorOf(last) };
}

/** toPage() for rows that are their own cursor or carry it as `id`. */
export const byId = (row: { id: string }): string => row.id;
export const itself = (id: string): string => id;

export const emptyPage = <T>(): Page<T> => ({ items: [], next: null });

/** A page read newest first (its cursor at the oldest item shown), shown oldest first. */
export const oldestFirst = <T>({ items, next }: Page<T>): Page<T> => ({ items: [...items].reverse(), next });

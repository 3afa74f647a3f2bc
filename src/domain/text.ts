/**
 * #hashtags and @mentions inside captions and comments. Pages turn them into links, the
 * activity service tells the people mentioned. Matching is by Unicode letters and digits (and
 * `_`/`.` inside usernames), case-insensitive.
 */

/** At most this many hashtags in one caption (as Instagram): more is refused as spam. */
export const MAX_HASHTAGS = 30;
/** At most this many people are told about one caption or comment; further names stay text. */
export const MAX_MENTIONS = 10;

const HASHTAG = /(^|[^\p{L}\p{N}_&#])#([\p{L}\p{N}_]{1,50})/gu;
// A username is 3–30 of [A-Za-z0-9_.]; a trailing dot ends the sentence, not the name.
const MENTION = /(^|[^\p{L}\p{N}_.@])@([A-Za-z0-9_](?:[A-Za-z0-9_.]{1,28}[A-Za-z0-9_]))/gu;

export function hashtagsOf(text: string): string[] {
  return [...new Set([...text.matchAll(HASHTAG)].map((m) => m[2]!.toLowerCase()))];
}

/** Distinct mentioned usernames, lower-cased, in order of first appearance. */
export function mentionsOf(text: string): string[] {
  return [...new Set([...text.matchAll(MENTION)].map((m) => m[2]!.toLowerCase()))];
}

export type TextPart =
  | { kind: 'text'; text: string }
  | { kind: 'hashtag'; text: string; tag: string }
  | { kind: 'mention'; text: string; username: string };

/**
 * Splits text into plain runs, hashtags and mentions, for a template to escape and link.
 * `isKnown` says whether a mentioned name is a person the viewer may see; others stay text.
 */
export function textParts(text: string, isKnown: (username: string) => boolean = () => true): TextPart[] {
  const parts: TextPart[] = [];
  const pattern = new RegExp(`${HASHTAG.source}|${MENTION.source}`, 'gu');
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    const lead = m[1] ?? m[3] ?? '';
    const start = m.index + lead.length;
    const tag = m[2];
    const name = m[4];
    if (name !== undefined && !isKnown(name.toLowerCase())) continue;
    if (start > last) parts.push({ kind: 'text', text: text.slice(last, start) });
    const whole = m[0].slice(lead.length);
    parts.push(
      tag !== undefined
        ? { kind: 'hashtag', text: whole, tag: tag.toLowerCase() }
        : { kind: 'mention', text: whole, username: name! },
    );
    last = start + whole.length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}

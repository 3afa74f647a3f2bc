/**
 * Search terms of a photo: whole words and short word prefixes of its caption, topic and
 * owner's username, plus one exact `topic:` term. Both backends store one index entry per term
 * and answer a search from those entries, never from a scan.
 *
 * Matching is by whole word or word prefix, case-insensitive: "sun" finds "Sunset".
 */

export const MIN_PREFIX = 2;
export const MAX_PREFIX = 10;
/** Caps the index entries one photo writes (a 2,200-character caption stays cheap). */
export const MAX_TERMS_PER_PHOTO = 150;
export const MAX_QUERY_WORDS = 5;

const WORD = /[\p{L}\p{N}]+/gu;

export function wordsOf(text: string): string[] {
  return (text.normalize('NFKC').toLowerCase().match(WORD) ?? []).filter((w) => w.length >= MIN_PREFIX);
}

export const normalizeTopic = (topic: string): string => topic.normalize('NFKC').trim().toLowerCase();

export const topicTerm = (topic: string): string => `topic:${normalizeTopic(topic)}`;

/** Every term a photo is findable by, deduplicated, topic and username first. */
export function photoTerms(photo: { caption: string; topic: string | null; username: string }): string[] {
  const terms = new Set<string>();
  if (photo.topic) terms.add(topicTerm(photo.topic));
  const words = [...wordsOf(photo.username), ...wordsOf(photo.topic ?? ''), ...wordsOf(photo.caption)];
  for (const word of words) {
    for (let n = MIN_PREFIX; n <= Math.min(word.length, MAX_PREFIX); n++) {
      if (terms.size >= MAX_TERMS_PER_PHOTO) return [...terms];
      terms.add(word.slice(0, n));
    }
  }
  return [...terms];
}

/**
 * Terms of a search box query: each word, cut to the longest stored prefix. A photo matches
 * when it carries all of them. Returns [] when nothing searchable is left.
 */
export function queryTerms(q: string): string[] {
  const words = [...new Set(wordsOf(q).map((w) => w.slice(0, MAX_PREFIX)))];
  return words.slice(0, MAX_QUERY_WORDS);
}

import { describe, expect, it } from 'vitest';
import { MAX_TERMS_PER_PHOTO, photoTerms, queryTerms, topicTerm } from '../../src/domain/search';

describe('photoTerms', () => {
  it('indexes words and prefixes of caption, topic and username, lower-cased', () => {
    const terms = photoTerms({ caption: 'Sunset at the Beach', topic: 'Travel', username: 'Ana_Maria' });
    expect(terms).toEqual(
      expect.arrayContaining([
        'su',
        'sun',
        'sunset',
        'beach',
        'be',
        'travel',
        'ana',
        'maria',
        'topic:travel',
      ]),
    );
    expect(terms).not.toContain('Sunset');
    expect(new Set(terms).size).toBe(terms.length);
  });

  it('with a huge caption stays within the per-photo cap', () => {
    const caption = Array.from({ length: 400 }, (_, i) => `word${i}x`).join(' ');
    expect(photoTerms({ caption, topic: null, username: 'bob' }).length).toBeLessThanOrEqual(
      MAX_TERMS_PER_PHOTO,
    );
  });
});

describe('queryTerms', () => {
  it('matches what photoTerms stored for a prefix, a long word and any case', () => {
    const stored = photoTerms({ caption: 'Photographing mountains', topic: null, username: 'zed' });
    for (const term of queryTerms('MOUNT photographing')) expect(stored).toContain(term);
  });

  it('with only punctuation or single letters returns nothing', () => {
    expect(queryTerms('  ;-- a ')).toEqual([]);
  });

  it('treats SQL and markup as plain words', () => {
    expect(queryTerms("'; DROP TABLE users; --")).toEqual(['drop', 'table', 'users']);
    expect(topicTerm('  Cats ')).toBe('topic:cats');
  });
});

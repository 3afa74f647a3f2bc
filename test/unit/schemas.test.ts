import { describe, expect, it } from 'vitest';
import { InvalidInput, NotFound } from '../../src/domain/errors';
import {
  credentials,
  feedQuery,
  isId,
  messageInput,
  parse,
  parsePathId,
  photoId,
} from '../../src/domain/schemas';
import { newId } from '../../src/lib/ulid';

const failure = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidInput) return err.message;
    throw err;
  }
  throw new Error('expected InvalidInput');
};

describe('credentials schema', () => {
  it('accepts letters, digits, _ and . in 3–30 characters', () => {
    expect(parse(credentials, { username: 'ana.maria_1', password: 'longenough' }).username).toBe(
      'ana.maria_1',
    );
  });

  it.each([
    ['ab', /username/],
    ['has space', /username/],
    ['x'.repeat(10_000), /username/],
  ])('refuses the username %#, naming the field', (username, pattern) => {
    expect(failure(() => parse(credentials, { username, password: 'longenough' }))).toMatch(pattern);
  });

  it('refuses passwords under 8 characters or over 72 bytes', () => {
    expect(failure(() => parse(credentials, { username: 'anna', password: 'short' }))).toMatch(/password.*8/);
    expect(failure(() => parse(credentials, { username: 'anna', password: 'é'.repeat(40) }))).toMatch(
      /password.*72 bytes/,
    );
  });

  it('refuses wrong types and a missing body', () => {
    expect(failure(() => parse(credentials, { username: 42, password: 'longenough' }))).toMatch(/username/);
    expect(failure(() => parse(credentials, undefined))).toMatch(/username/);
  });
});

describe('feedQuery schema', () => {
  it('defaults to home, 50 per page', () => {
    expect(parse(feedQuery, {})).toMatchObject({ scope: 'home', limit: 50 });
  });

  it.each([{ limit: '0' }, { limit: '1000000' }, { before: 'garbage' }, { scope: 'friends' }])(
    'refuses %o with a sentence naming the field',
    (query) => {
      expect(failure(() => parse(feedQuery, query))).toMatch(new RegExp(Object.keys(query)[0] ?? ''));
    },
  );
});

describe('messageInput schema', () => {
  it.each([{ to_user_id: '5' }, { to_user_id: {} }, { to_user_id: -3 }, { to_user_id: 1.5 }])(
    'refuses to_user_id %o',
    (input) => {
      expect(failure(() => parse(messageInput, { ...input, text: 'hi' }))).toMatch(/to_user_id/);
    },
  );

  it('refuses empty and 2001-character text', () => {
    expect(failure(() => parse(messageInput, { to_user_id: 2, text: '' }))).toMatch(/text/);
    expect(failure(() => parse(messageInput, { to_user_id: 2, text: 'x'.repeat(2001) }))).toMatch(
      /text.*2000/,
    );
  });
});

describe('ids', () => {
  it('isId accepts the ids this site makes and refuses ones whose time no store can order', () => {
    expect(isId(newId())).toBe(true);
    expect(isId('01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBe(true);
    // Time past what a ULID holds, past 13 digits of milliseconds, or not a ULID at all.
    for (const id of [
      'ZZZZZZZZZZZZZZZZZZZZZZZZZZ',
      '8ZZZZZZZZZZZZZZZZZZZZZZZZZ',
      '7ZZZZZZZZZZZZZZZZZZZZZZZZZ',
    ]) {
      expect(isId(id)).toBe(false);
    }
    expect(isId('01ARZ3NDEKTSV4RRFFQ69G5FAU'.toLowerCase())).toBe(false);
    expect(isId('01ARZ3NDEKTSV4RRFFQ69G5FA')).toBe(false);
  });

  it('an id in a query is 400 naming the field; the same in an address is 404 naming the thing', () => {
    expect(failure(() => parse(feedQuery, { before: 'ZZZZZZZZZZZZZZZZZZZZZZZZZZ' }))).toBe(
      'before is not a valid id',
    );
    expect(() => parsePathId(photoId, 'ZZZZZZZZZZZZZZZZZZZZZZZZZZ', 'photo')).toThrow(
      new NotFound('No such photo.', 'photo_not_found'),
    );
  });
});

import { randomInt } from 'node:crypto';
import { decodeTime, encodeTime, monotonicFactory } from 'ulid';

/** Time-ordered ids: monotonic within a process, so ids made in one millisecond still sort in order. */
export const newId: () => string = (() => {
  const next = monotonicFactory();
  return () => next();
})();

export const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export const isUlid = (value: string): boolean => ULID_PATTERN.test(value);

/** Milliseconds since the epoch encoded in a ULID. */
export const timeOfId = (id: string): number => decodeTime(id);

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const SEQUENCE_DIGITS = 10;
const RANDOM_DIGITS = 6;

/**
 * A ULID made from a time and a sequence number instead of randomness: the time part is `ms`,
 * then `seq` in 10 base-32 digits (up to 2^50), then 6 random digits that only keep ids of
 * different sequences apart. Ids of one sequence whose `ms` never decreases as `seq` grows sort
 * in sequence order, as strings and by their time.
 */
export function sequencedId(ms: number, seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 0 || seq >= 32 ** SEQUENCE_DIGITS)
    throw new RangeError(`sequence number out of range: ${seq}`);
  let digits = '';
  for (let rest = seq, i = 0; i < SEQUENCE_DIGITS; i++, rest = Math.floor(rest / 32)) {
    digits = CROCKFORD[rest % 32]! + digits;
  }
  let random = '';
  for (let i = 0; i < RANDOM_DIGITS; i++) random += CROCKFORD[randomInt(32)]!;
  return `${encodeTime(ms, 10)}${digits}${random}`;
}

/** The smallest id a ULID made at `ms` can have: a cursor meaning "everything before ms". */
export const firstIdAt = (ms: number): string => `${encodeTime(Math.max(0, ms), 10)}${'0'.repeat(16)}`;

/**
 * A ULID made from a time and a number instead of randomness: the same `ms` and `n` always make
 * the same id, so something derived from a numbered row (a friend request) can be found again by
 * key from the row alone.
 */
export function numberedId(ms: number, n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a row number: ${n}`);
  let digits = '';
  for (let rest = n, i = 0; i < 16; i++, rest = Math.floor(rest / 32))
    digits = CROCKFORD[rest % 32]! + digits;
  return `${encodeTime(Math.max(0, ms), 10)}${digits}`;
}

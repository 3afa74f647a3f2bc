import { decodeTime, monotonicFactory } from 'ulid';

/** Time-ordered ids: monotonic within a process, so ids made in one millisecond still sort in order. */
export const newId: () => string = (() => {
  const next = monotonicFactory();
  return () => next();
})();

export const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export const isUlid = (value: string): boolean => ULID_PATTERN.test(value);

/** Milliseconds since the epoch encoded in a ULID. */
export const timeOfId = (id: string): number => decodeTime(id);

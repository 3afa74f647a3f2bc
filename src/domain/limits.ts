export const USERNAME_PATTERN = /^[A-Za-z0-9_.]{3,30}$/;
export const MIN_PASSWORD_LENGTH = 8;
/** bcrypt ignores everything past 72 bytes, so longer passwords are refused rather than truncated. */
export const MAX_PASSWORD_BYTES = 72;
export const MAX_CAPTION_LENGTH = 2200;
export const MAX_TOPIC_LENGTH = 50;
export const MAX_COMMENT_LENGTH = 1000;
export const MAX_MESSAGE_LENGTH = 2000;
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;
export const MESSAGE_WINDOW = 100;
export const USER_SEARCH_LIMIT = 20;
export const MAX_FULL_SIDE = 2048;
/** Long side of the medium image: a feed card or photo page on a phone, sharp at 3×. */
export const MEDIUM_SIDE = 1080;
/** Square thumbnail: a 200 px grid cell stays sharp on 2× screens. */
export const THUMB_SIZE = 400;
export const MAX_ALT_LENGTH = 1000;
/** How long one HEIC decode may run (in a worker thread) before it is stopped. */
export const HEIC_DECODE_TIMEOUT_MS = 20_000;
export const MAX_BIO_LENGTH = 150;
/** Avatars are square: `large` on the profile header, `small` everywhere a name is shown. */
export const AVATAR_SIZES = { large: 320, small: 64 } as const;
/** Activity events are kept this long (DynamoDB TTL; SQLite prunes on read). */
export const ACTIVITY_TTL_DAYS = 90;
/** The nav badge counts unread activity up to this (shown as 99+). */
export const ACTIVITY_BADGE_CAP = 100;
export const MAX_REPORT_TEXT_LENGTH = 1000;
/**
 * How long an idempotency key replays what its first request made (http/request-key.ts): a
 * retry within this window returns the first result; after it the key is forgotten (DynamoDB
 * TTL on the key items, SQLite prunes them) and a request carrying it is a new request.
 */
export const REQUEST_KEY_TTL_HOURS = 24;
/** How long a request to delete an account waits for the deletion before answering "still going" (202). */
export const DELETE_WAIT_MS = 3000;

import { z } from 'zod';
import { isCommonPassword } from './common-passwords';
import { InvalidInput, noSuch, type Missing } from './errors';
import type { FeedInput } from './types';
import {
  DEFAULT_PAGE_SIZE,
  MAX_ALT_LENGTH,
  MAX_BIO_LENGTH,
  MAX_CAPTION_LENGTH,
  MAX_COMMENT_LENGTH,
  MAX_MESSAGE_LENGTH,
  MAX_PAGE_SIZE,
  MAX_PASSWORD_BYTES,
  MAX_REPORT_TEXT_LENGTH,
  MAX_TOPIC_LENGTH,
  MIN_PASSWORD_LENGTH,
  USERNAME_PATTERN,
} from './limits';
import { ULID_PATTERN, timeOfId } from '../lib/ulid';
import { hashtagsOf, MAX_HASHTAGS } from './text';

/**
 * Input schemas shared by the API and the pages. Every message names its field, so a 400 tells
 * the client exactly what to fix.
 */

const text = (field: string, min: number, max: number) =>
  z
    .string({ error: `${field} must be text` })
    .min(min, {
      error: min === 1 ? `${field} must not be empty` : `${field} must be at least ${min} characters`,
    })
    .max(max, { error: `${field} must be at most ${max} characters` });

/**
 * A character a reader sees: a letter, digit, punctuation mark or symbol that is not
 * default-ignorable (zero-width spaces and joiners, U+FEFF, the Hangul fillers U+3164 and U+FFA0,
 * tag characters) and not a symbol drawn blank (U+2800 BRAILLE PATTERN BLANK, U+1D159 MUSICAL
 * SYMBOL NULL NOTEHEAD). Spaces of every kind, controls, format characters, lone combining marks
 * and private-use characters are not.
 */
const VISIBLE = /(?![\p{Default_Ignorable_Code_Point}\u2800\u{1D159}])[\p{L}\p{N}\p{P}\p{S}]/u;

/** Whether a person would see anything of `value` (see VISIBLE). */
export const hasVisible = (value: string): boolean => VISIBLE.test(value);

/** Text people write to each other: 1 to `max` characters, at least one of them visible. */
const visibleText = (field: string, max: number) =>
  text(field, 1, max).refine(hasVisible, { error: `${field} must have at least one visible character` });

export const username = z
  .string({ error: 'username must be text' })
  .max(200, { error: 'username must be 3–30 letters, digits, _ or .' })
  .trim()
  .regex(USERNAME_PATTERN, { error: 'username must be 3–30 letters, digits, _ or .' });

/** The rules of a new password (sign-up and change), with sentences naming `field`. */
const newPassword = (field: string) =>
  z
    .string({ error: `${field} must be text` })
    .min(MIN_PASSWORD_LENGTH, { error: `${field} must be at least ${MIN_PASSWORD_LENGTH} characters` })
    .refine((s) => Buffer.byteLength(s, 'utf8') <= MAX_PASSWORD_BYTES, {
      error: `${field} must be at most ${MAX_PASSWORD_BYTES} bytes`,
    })
    .refine((s) => !isCommonPassword(s), {
      error: `${field} is one of the most common passwords, which attackers try first: please choose another`,
    })
    .meta({
      description: `At least ${MIN_PASSWORD_LENGTH} characters and at most ${MAX_PASSWORD_BYTES} bytes; not one of the most common passwords.`,
    });

export const password = newPassword('password');

/** Any stored password shape, bounded: what log-in and confirmations accept. */
const givenPassword = (field: string) =>
  z
    .string({ error: `${field} must be text` })
    .min(1, { error: `${field} is required` })
    .max(1024, { error: `${field} is too long` });

export const passwordChange = z.object({
  current_password: givenPassword('current_password'),
  new_password: newPassword('new_password'),
});

/** DELETE /api/users/me and the settings form: the password confirms it. */
export const accountDeletion = z.object({ password: givenPassword('password') });

export const credentials = z.object({ username, password });

/**
 * A username typed to find someone (log-in, lookup): any shape, bounded. `typeError` is the
 * sentence for no text at all (a missing query parameter is "required", a JSON number is not text).
 */
const givenUsername = (typeError: string) =>
  z
    .string({ error: typeError })
    .trim()
    .min(1, { error: 'username is required' })
    .max(200, { error: 'username is too long' });

/** Login accepts any stored password shape but still bounds the input. */
export const loginInput = z.object({
  username: givenUsername('username must be text'),
  password: givenPassword('password'),
});

/** A positive integer id from a path or query string, where everything arrives as text. */
export const idParam = (field: string) =>
  z.coerce
    .number({ error: `${field} must be a positive integer` })
    .int({ error: `${field} must be a positive integer` })
    .positive({ error: `${field} must be a positive integer` })
    .max(Number.MAX_SAFE_INTEGER, { error: `${field} must be a positive integer` });

export const userId = idParam('user_id');

/** A JSON body's user id: a real number, not "5" or {}. */
export const strictUserId = (field: string) =>
  z
    .number({ error: `${field} must be a positive integer` })
    .int({ error: `${field} must be a positive integer` })
    .positive({ error: `${field} must be a positive integer` });

/**
 * The latest time an id may carry: the stores order ids by their time written as 13 decimal
 * digits (aws/keys.ts), so a later one, or one past what a ULID can hold at all
 * (ZZZZZZZZZZZZZZZZZZZZZZZZZZ), is refused here, before any store sees it.
 */
export const MAX_ID_TIME = 9_999_999_999_999;

/** Whether `value` is an id this site could have made: a ULID whose time fits MAX_ID_TIME. */
export function isId(value: string): boolean {
  if (!ULID_PATTERN.test(value)) return false;
  try {
    return timeOfId(value) <= MAX_ID_TIME;
  } catch {
    return false;
  }
}

export const ulid = (field: string) =>
  z
    .string({ error: `${field} must be an id` })
    // The pattern is what the OpenAPI document shows; isId adds the time bound.
    .regex(ULID_PATTERN, { error: `${field} is not a valid id` })
    .refine(isId, { error: `${field} is not a valid id` });

export const photoId = ulid('photo id');
export const commentId = ulid('comment id');

export const caption = text('caption', 0, MAX_CAPTION_LENGTH).refine(
  (s) => hashtagsOf(s).length <= MAX_HASHTAGS,
  { error: `caption may have at most ${MAX_HASHTAGS} hashtags` },
);
/** Alt text: trimmed, and an empty one means none. */
export const alt = z
  .string({ error: 'alt must be text' })
  .trim()
  .max(MAX_ALT_LENGTH, { error: `alt text must be at most ${MAX_ALT_LENGTH} characters` })
  .transform((s) => (s === '' ? null : s));
export const topic = z
  .string({ error: 'topic must be text' })
  .trim()
  .max(MAX_TOPIC_LENGTH, { error: `topic must be at most ${MAX_TOPIC_LENGTH} characters` })
  .transform((s) => (s === '' ? null : s));

export const uploadFields = z.object({
  caption: caption.default(''),
  // prefault: a missing topic is parsed as '', which the schema turns into null.
  topic: topic.prefault(''),
  alt: alt.prefault(''),
});

/** PATCH /api/photos/:id: the fields to change, at least one. null clears topic or alt. */
export const photoEdit = z
  .object({
    caption: caption.optional(),
    topic: z.union([topic, z.null()], { error: 'topic must be text' }).optional(),
    alt: z.union([alt, z.null()], { error: 'alt must be text' }).optional(),
  })
  .refine((e) => e.caption !== undefined || e.topic !== undefined || e.alt !== undefined, {
    error: 'send caption, topic or alt',
  });

export const scope = z.enum(['home', 'profile', 'all'], { error: 'scope must be home, profile or all' });

/** `limit` of a paged list: 1 to MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE when absent. */
const pageLimit = z.coerce
  .number({ error: `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
  .int({ error: `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
  .min(1, { error: `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
  .max(MAX_PAGE_SIZE, { error: `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
  .default(DEFAULT_PAGE_SIZE);

export const feedQuery = z.object({
  scope: scope.default('home'),
  user_id: userId.optional(),
  topic: z
    .string({ error: 'topic must be text' })
    .trim()
    .max(MAX_TOPIC_LENGTH, { error: `topic must be at most ${MAX_TOPIC_LENGTH} characters` })
    .optional(),
  q: z
    .string({ error: 'Search must be text.' })
    .trim()
    .max(200, { error: 'Search words must be at most 200 characters in all.' })
    .optional(),
  limit: pageLimit,
  before: ulid('before').optional(),
});
export type FeedQuery = z.infer<typeof feedQuery>;

/** The service's input from a parsed feed query (snake_case query names to domain names). */
export const toFeedInput = (q: FeedQuery): FeedInput => ({
  scope: q.scope,
  ...(q.user_id !== undefined ? { userId: q.user_id } : {}),
  ...(q.topic ? { topic: q.topic } : {}),
  ...(q.q ? { q: q.q } : {}),
  limit: q.limit,
  ...(q.before ? { before: q.before } : {}),
});

/** GET /api/photos/:id/comments (and the photo page's `before`): one page, counted from the newest. */
export const commentsQuery = z.object({
  limit: pageLimit,
  before: ulid('before').optional(),
});

export const commentText = z.object({ text: visibleText('text', MAX_COMMENT_LENGTH) });

export const friendRequestInput = z.union(
  [z.object({ username }), z.object({ user_id: strictUserId('user_id') })],
  { error: 'Say who to ask: send a username or a user_id.' },
);

export const respondInput = z.object({
  request_id: strictUserId('request_id'),
  action: z.enum(['accept', 'decline'], { error: 'action must be accept or decline' }),
});

export const requestDirection = z
  .enum(['incoming', 'outgoing'], { error: 'direction must be incoming or outgoing' })
  .default('incoming');

export const messageInput = z.object({
  to_user_id: strictUserId('to_user_id'),
  text: visibleText('text', MAX_MESSAGE_LENGTH),
});

export const messagesQuery = z.object({
  user_id: userId,
  after: ulid('after').optional(),
});

/**
 * An idempotency key: the client's name for one attempt to create something, sent again with
 * every retry of it (API: the `Idempotency-Key` header; pages: the hidden `request_key` field).
 */
export const requestKey = z
  .string({ error: 'Idempotency-Key must be text' })
  .regex(/^[A-Za-z0-9_.:-]{8,128}$/, {
    error: "Idempotency-Key must be 8 to 128 letters, digits, '-', '_', '.' or ':'",
  });

/** GET /api/users/lookup: an exact username, compared without regard to case. */
export const lookupQuery = z.object({
  username: givenUsername('username is required'),
});

/** GET /api/users/search: a prefix; one a username cannot start with finds nobody. */
export const searchQuery = z.object({
  q: z
    .string({ error: 'Search needs the start of a username (q).' })
    .max(100, { error: 'Search for a name of at most 100 characters.' }),
});

export const imageSize = z.enum(['thumb', 'medium', 'full'], { error: 'size must be thumb, medium or full' });

/**
 * Parses an id taken from an address. One that cannot name anything is a 404 ("No such photo."),
 * as a well-formed id that names nothing is: a mistyped or cut-off link is not the reader's
 * mistake to fix. Ids in query strings and bodies go through parse() and stay 400.
 */
export function parsePathId<T extends z.ZodType>(schema: T, value: unknown, thing: Missing): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw noSuch(thing);
  return result.data;
}

/** Parses `value` or throws InvalidInput with the first problem as a sentence naming the field. */
export function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  // A missing body or query object is an empty one, so the message names the first missing field.
  const result = schema.safeParse(value === undefined && schema instanceof z.ZodObject ? {} : value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') ?? '';
  if (field === '' && issue?.code === 'invalid_type' && schema instanceof z.ZodObject) {
    throw new InvalidInput('The request body must be a JSON object.');
  }
  const sentence = issue?.message ?? 'the request is invalid';
  const startsWithField = field !== '' && sentence.startsWith(String(issue?.path[0]));
  throw new InvalidInput(field && !startsWithField ? `${field}: ${sentence}` : sentence);
}

export const profileInput = z.object({
  bio: z
    .string({ error: 'bio must be text' })
    .trim()
    .max(MAX_BIO_LENGTH, { error: `bio must be at most ${MAX_BIO_LENGTH} characters` }),
});

export const avatarSize = z.enum(['small', 'large'], { error: 'size must be small or large' });

export const blockInput = z.union([z.object({ username }), z.object({ user_id: strictUserId('user_id') })], {
  error: 'Say who to block: send a username or a user_id.',
});

const ACTIVITY_KINDS = ['like', 'comment', 'mention', 'friend_request', 'friend_accept'] as const;
const kindList = `kind must be one or more of ${ACTIVITY_KINDS.join(', ')}, separated by commas`;

/** GET /api/activity and the /activity page: kinds (comma-separated), page size and cursor. */
export const activityQuery = z.object({
  kind: z
    .string({ error: kindList })
    .max(200, { error: kindList })
    .transform((s) => [
      ...new Set(
        s
          .split(',')
          .map((k) => k.trim())
          .filter(Boolean),
      ),
    ])
    .pipe(z.array(z.enum(ACTIVITY_KINDS, { error: kindList })))
    .optional(),
  limit: z.coerce
    .number({ error: `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
    .int({ error: `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
    .min(1, { error: `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
    .max(MAX_PAGE_SIZE, { error: `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
    .default(30),
  before: z
    .string({ error: 'before must be text' })
    .max(40, { error: 'before is not a place in the activity list' })
    .optional(),
});
export type ActivityQuery = z.infer<typeof activityQuery>;

/** Cursor of a likes list: `<ms>.<userId>` of the last like shown. */
export const LIKERS_CURSOR = /^\d{1,15}\.\d{1,15}$/;

export const likersQuery = z.object({
  limit: z.coerce
    .number({ error: `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
    .int({ error: `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
    .min(1, { error: `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
    .max(MAX_PAGE_SIZE, { error: `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
    .default(DEFAULT_PAGE_SIZE),
  before: z
    .string({ error: 'before must be text' })
    .regex(LIKERS_CURSOR, {
      error: 'before is not a place in the list of likes; use the link of the previous page.',
    })
    .optional(),
});

const targetType = z.enum(['photo', 'comment', 'user'], {
  error: 'target_type must be photo, comment or user',
});
/** A target id: a photo or comment id (ULID) or a user id, as text or a number. */
const targetId = z.preprocess(
  (v) => (typeof v === 'number' ? String(v) : v),
  z
    .string({ error: 'target_id must be an id' })
    .regex(/^(?:[0-9A-HJKMNP-TV-Z]{26}|[1-9][0-9]{0,15})$/, { error: 'target_id is not a valid id' }),
);
const targetFields = {
  target_type: targetType,
  target_id: targetId,
  photo_id: ulid('photo_id').optional(),
};
/** Ids of the right kind for the type: a ULID for photos and comments, a number for people. */
const idFitsType = (v: { target_type: string; target_id: string }) =>
  v.target_type === 'user' ? /^\d+$/.test(v.target_id) : ULID_PATTERN.test(v.target_id);

export const reportInput = z
  .object({
    ...targetFields,
    reason: z.enum(['spam', 'harassment', 'nudity', 'violence', 'other'], {
      error: 'reason must be spam, harassment, nudity, violence or other',
    }),
    text: z
      .string({ error: 'text must be text' })
      .trim()
      .max(MAX_REPORT_TEXT_LENGTH, { error: `text must be at most ${MAX_REPORT_TEXT_LENGTH} characters` })
      .default(''),
  })
  .refine(idFitsType, { error: 'target_id is not an id of that kind', path: ['target_id'] });

export const moderationActionInput = z
  .object({
    ...targetFields,
    action: z.enum(['remove', 'suspend', 'unsuspend', 'dismiss'], {
      error: 'action must be remove, suspend, unsuspend or dismiss',
    }),
  })
  .refine(idFitsType, { error: 'target_id is not an id of that kind', path: ['target_id'] });

export const reportsQuery = z.object({
  status: z.enum(['open', 'closed'], { error: 'status must be open or closed' }).default('open'),
});

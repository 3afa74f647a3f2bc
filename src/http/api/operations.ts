import { z } from 'zod';
import { REQUEST_KEY_TTL_HOURS } from '../../domain/limits';
import {
  activityQuery,
  avatarSize,
  blockInput,
  moderationActionInput,
  reportInput,
  reportsQuery,
  commentId,
  commentsQuery,
  commentText,
  credentials,
  feedQuery,
  friendRequestInput,
  idParam,
  imageSize,
  likersQuery,
  loginInput,
  lookupQuery,
  messageInput,
  messagesQuery,
  passwordChange,
  accountDeletion,
  photoEdit,
  photoId,
  profileInput,
  requestKey,
  requestDirection,
  respondInput,
  searchQuery,
  uploadFields,
  userId,
} from '../../domain/schemas';
import {
  activityJson,
  badgesJson,
  commentJson,
  conversationJson,
  errorJson,
  friendJson,
  friendRequestCreatedJson,
  friendRequestJson,
  healthJson,
  likeResultJson,
  meJson,
  messageJson,
  photoJson,
  profileJson,
  readinessJson,
  respondResultJson,
  sessionJson,
  blockJson,
  moderationActionJson,
  reportCreatedJson,
  reportGroupJson,
  userJson,
} from '../serializers';

/**
 * The HTTP contract, one entry per route: http/openapi.ts builds the OpenAPI document
 * (GET /api/openapi.json) from this list and nothing else.
 *
 * To add an endpoint: register it in its router as usual, then add an entry here naming the zod
 * schemas the router parses with (`params`, `query`, `body`: from domain/schemas.ts) and the
 * schema of each answer (`json(...)`: the schema beside its serializer in http/serializers.ts).
 * Only the answers particular to the route are listed; the generator adds the ones every /api
 * route shares (401 unless `isPublic`, 403 cross-site for unsafe methods, 400/413/415 for JSON
 * bodies, 429 when `isLimited`, 500, 503). test/http/openapi.test.ts fails while the routers
 * and this list disagree, and every answer an HTTP test receives is checked against the document.
 */

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Response headers the document describes once (http/openapi.ts) and operations name. */
export type HeaderName =
  | 'Set-Cookie'
  | 'Link'
  | 'Location'
  | 'RateLimit'
  | 'RateLimit-Policy'
  | 'ETag'
  | 'Cache-Control'
  | 'Content-Disposition';

/** One answer of an operation: JSON of a schema, image bytes, text or a file of the listed types, or nothing. */
export type Answer = { description: string; headers?: HeaderName[] } & (
  | { json: z.ZodType }
  | { image: readonly string[] }
  | { text: readonly string[] }
  | { file: readonly string[] }
  | { empty: true }
);

/** Photos are stored as JPEG, or WebP with IMAGE_FORMAT=webp; avatars always as JPEG. */
const PHOTO_TYPES = ['image/jpeg', 'image/webp'] as const;
const AVATAR_TYPES = ['image/jpeg'] as const;
/** A conditional GET: the ETag of an earlier answer, for a 304. */
const ifNoneMatch = z.string().optional().meta({ description: 'An ETag from an earlier answer.' });

export interface Operation {
  method: Method;
  /** As Express matches it, /api included: `/api/photos/:id`. */
  path: string;
  /** The OpenAPI operationId: unique, camelCase. */
  id: string;
  tag: 'auth' | 'users' | 'photos' | 'comments' | 'friends' | 'messages' | 'activity' | 'operations';
  summary: string;
  description?: string;
  /** Callable without a session; otherwise a call without one is 401. */
  isPublic?: boolean;
  /** Guarded by a bearer token instead of the session (http/openapi.ts names the schemes). */
  security?: 'metricsToken';
  /** One schema per `:name` in the path. */
  params?: Record<string, z.ZodType>;
  query?: z.ZodObject;
  /** Request headers the route reads, by name. */
  headers?: Record<string, z.ZodType>;
  /** A JSON body. */
  body?: z.ZodType;
  /** A multipart/form-data body: text fields plus one file field. */
  upload?: { fields: z.ZodObject; file: string };
  /** Counted by a rate limit: 429 with Retry-After. */
  isLimited?: boolean;
  responses: Partial<Record<number, Answer>>;
}

export const json = (schema: z.ZodType, description: string, headers?: HeaderName[]): Answer => ({
  description,
  json: schema,
  ...(headers ? { headers } : {}),
});
export const empty = (description: string, headers?: HeaderName[]): Answer => ({
  description,
  empty: true,
  ...(headers ? { headers } : {}),
});
export const failure = (description: string): Answer => json(errorJson, description);

/**
 * Schemas shown by name under #/components/schemas; any other schema is written where it is used.
 * Requests are documented as the schemas accept them (defaults and trimming applied afterwards),
 * responses as the serializers produce them (no other fields).
 */
export const namedSchemas = {
  requests: {
    SignupInput: credentials,
    LoginInput: loginInput,
    CommentInput: commentText,
    FriendRequestInput: friendRequestInput,
    RespondInput: respondInput,
    MessageInput: messageInput,
    PasswordChange: passwordChange,
    BlockInput: blockInput,
    ReportInput: reportInput,
    ModerationActionInput: moderationActionInput,
    PhotoEdit: photoEdit,
  },
  responses: {
    Error: errorJson,
    User: userJson,
    Me: meJson,
    Photo: photoJson,
    Profile: profileJson,
    LikeResult: likeResultJson,
    Comment: commentJson,
    FriendRequest: friendRequestJson,
    FriendRequestCreated: friendRequestCreatedJson,
    RespondResult: respondResultJson,
    Friend: friendJson,
    Message: messageJson,
    Conversation: conversationJson,
    Health: healthJson,
    Readiness: readinessJson,
    Session: sessionJson,
    Block: blockJson,
    ReportGroup: reportGroupJson,
    ModerationAction: moderationActionJson,
  },
} satisfies Record<'requests' | 'responses', Record<string, z.ZodType>>;

const photoNotFound = failure('No such photo (also for an id that is not one).');
const notOwner = failure('Not the owner.');
/** An upload the image pipeline refuses, photo or picture alike. */
const refusedUpload = {
  413: failure('The file is larger than UPLOAD_MAX_BYTES.'),
  415: failure('The file is not an image of an accepted type.'),
};
/** Image bytes with validators, or 304 when If-None-Match names them. */
const imageAnswers = (description: string, types: readonly string[]) => ({
  200: { description, image: types, headers: ['ETag', 'Cache-Control'] } satisfies Answer,
  304: empty('Not modified (If-None-Match matched the ETag).', ['ETag', 'Cache-Control']),
});
const userNotFound = failure('No such user.');
const signedIn: HeaderName[] = ['Set-Cookie', 'RateLimit', 'RateLimit-Policy'];

const idempotencyKey = requestKey.optional().meta({
  description: `The client's name for this attempt at creating something: a retry with the same key within ${REQUEST_KEY_TTL_HOURS} hours gets what the first attempt stored, not a second copy; after that the key is forgotten and a request carrying it is a new one.`,
});

/** The OpenAPI document itself; its shape is OpenAPI's, so only its frame is checked. */
const documentJson = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
});

export const operations: Operation[] = [
  // Authentication
  {
    method: 'post',
    path: '/api/auth/signup',
    id: 'signup',
    tag: 'auth',
    summary: 'Create an account and sign in',
    description: 'Usernames are unique without regard to case. Limited per IP (RATE_LIMIT_SIGNUP_*).',
    isPublic: true,
    isLimited: true,
    body: credentials,
    responses: {
      201: json(userJson, 'Signed up and signed in.', signedIn),
      409: failure('The username is taken (compared without regard to case).'),
    },
  },
  {
    method: 'post',
    path: '/api/auth/login',
    id: 'login',
    tag: 'auth',
    summary: 'Sign in',
    description:
      'Starts a new session (a new session id). Limited per IP, and per IP and username for failed attempts (RATE_LIMIT_LOGIN_*).',
    isPublic: true,
    isLimited: true,
    body: loginInput,
    responses: {
      200: json(userJson, 'Signed in.', signedIn),
      401: failure('Unknown user or wrong password: the same answer for both.'),
      403: failure('The account is suspended (`account_suspended`).'),
    },
  },
  {
    method: 'post',
    path: '/api/auth/logout',
    id: 'logout',
    tag: 'auth',
    summary: 'Sign out',
    description: 'Destroys the session on the server and clears the cookie. Works without a session too.',
    isPublic: true,
    responses: { 204: empty('Signed out.', ['Set-Cookie']) },
  },
  {
    method: 'get',
    path: '/api/auth/me',
    id: 'me',
    tag: 'auth',
    summary: 'The signed-in user',
    responses: {
      200: json(meJson, 'The signed-in user.'),
      404: failure('The account no longer exists.'),
    },
  },

  // Account and sessions
  {
    method: 'post',
    path: '/api/auth/password',
    id: 'changePassword',
    tag: 'auth',
    summary: 'Change the password',
    description:
      'The current password is required; the new one follows the sign-up rules. Every other session of the person ends and this one gets a new session id. Wrong current passwords are limited like failed log-ins (RATE_LIMIT_LOGIN_*).',
    isLimited: true,
    body: passwordChange,
    responses: {
      204: empty('Changed.', ['Set-Cookie']),
      401: failure('The current password is wrong.'),
    },
  },
  {
    method: 'get',
    path: '/api/auth/sessions',
    id: 'listSessions',
    tag: 'auth',
    summary: "The person's active sessions",
    responses: { 200: json(z.array(sessionJson), 'Most recently used first.') },
  },
  {
    method: 'delete',
    path: '/api/auth/sessions',
    id: 'endOtherSessions',
    tag: 'auth',
    summary: 'Log out everywhere else',
    responses: { 204: empty('Every session but this one ended.') },
  },
  {
    method: 'delete',
    path: '/api/auth/sessions/:id',
    id: 'endSession',
    tag: 'auth',
    summary: 'End one session',
    params: { id: z.string().meta({ description: 'A session handle from the list.' }) },
    responses: {
      204: empty('That session ended.'),
      404: failure("None of the person's live sessions has this handle."),
    },
  },

  // Users
  {
    method: 'patch',
    path: '/api/users/me',
    id: 'editProfile',
    tag: 'users',
    summary: "Change one's bio",
    body: profileInput,
    responses: { 200: json(userJson, 'The person, with the new bio.') },
  },
  {
    method: 'delete',
    path: '/api/users/me',
    id: 'deleteAccount',
    tag: 'users',
    summary: "Delete one's account",
    description:
      "The password confirms it. At once: log-in is refused and every session of the person ends (this one too). Then everything of theirs is removed: photos with their images, likes, comments, friendships, blocks, reports they made, avatar, activity, rate-limit counters; messages they sent stay in the other person's conversation with `from_username: null`. The username is free again once it finishes. Wrong passwords are limited like failed log-ins (RATE_LIMIT_LOGIN_*).",
    isLimited: true,
    body: accountDeletion,
    responses: {
      204: empty('Deleted.'),
      202: empty('Log-in refused and sessions ended; the rest is still being removed and will be.'),
      401: failure('The password is wrong: nothing changed.'),
    },
  },
  {
    method: 'put',
    path: '/api/users/me/avatar',
    id: 'setAvatar',
    tag: 'users',
    summary: "Set one's picture",
    description:
      'The same image pipeline as photos: type from the bytes, pixel limits before decoding, orientation applied, metadata stripped; square 320 and 64 px JPEGs. The old images are deleted. Counted with uploads (RATE_LIMIT_UPLOAD_*).',
    isLimited: true,
    upload: { fields: z.object({}), file: 'avatar' },
    responses: {
      200: json(userJson, 'The person, with the new avatar URL.'),
      400: failure('No file, or a file that cannot be decoded.'),
      409: failure('Changed at the same moment from elsewhere.'),
      ...refusedUpload,
    },
  },
  {
    method: 'delete',
    path: '/api/users/me/avatar',
    id: 'removeAvatar',
    tag: 'users',
    summary: "Remove one's picture",
    responses: { 204: empty('Removed (or there was none).') },
  },
  {
    method: 'get',
    path: '/api/users/me/export',
    id: 'exportMyData',
    tag: 'users',
    summary: 'Download my data (a zip)',
    description:
      'Streamed as it is built: `profile.json`, `photos.json` and `photos/<id>.jpg` (each stored full image; `.webp` for WebP photos), `comments.json`, `likes.json`, `friends.json`, `messages.json`, in the JSON shapes of this API. A failure part-way cuts the connection, so a partial archive never looks complete. Limited per person (RATE_LIMIT_EXPORT_*).',
    isLimited: true,
    responses: {
      200: { description: 'The archive.', file: ['application/zip'], headers: ['Content-Disposition'] },
    },
  },
  {
    method: 'get',
    path: '/api/users/lookup',
    id: 'lookupUser',
    tag: 'users',
    summary: 'Find a user by exact username (case-insensitive)',
    query: lookupQuery,
    responses: {
      200: json(userJson, 'The user.'),
      400: failure('No username given.'),
      404: userNotFound,
    },
  },
  {
    method: 'get',
    path: '/api/users/search',
    id: 'searchUsers',
    tag: 'users',
    summary: 'Users whose name starts with a prefix',
    description:
      'At most 20 users. An empty prefix, or one with characters a username cannot contain, finds nobody (200 `[]`).',
    query: searchQuery,
    responses: {
      200: json(z.array(userJson), 'Matching users, at most 20.'),
      400: failure('No prefix given, or a longer one than 100 characters.'),
    },
  },

  {
    method: 'get',
    path: '/api/users/:id',
    id: 'getProfile',
    tag: 'users',
    summary: "A person's profile",
    params: { id: userId },
    responses: { 200: json(profileJson, 'The person, their counts and the relation.'), 404: userNotFound },
  },
  {
    method: 'get',
    path: '/api/users/:id/avatar/:size',
    id: 'getAvatar',
    tag: 'users',
    summary: "A person's picture",
    description:
      "With the `v` the user object's avatar URL carries, cached for a year; without it (or with an old one), for a minute.",
    params: { id: userId, size: avatarSize },
    headers: { 'If-None-Match': ifNoneMatch },
    query: z.object({
      v: z.string().optional().meta({ description: "The avatar's id, from the avatar URL." }),
    }),
    responses: {
      ...imageAnswers('The picture.', AVATAR_TYPES),
      404: failure('No such user, no picture, or a size other than small or large.'),
    },
  },

  // Photos
  {
    method: 'post',
    path: '/api/photos',
    id: 'uploadPhoto',
    tag: 'photos',
    summary: 'Upload a photo',
    description:
      'The type is decided from the bytes (JPEG, PNG, WebP, GIF, AVIF, HEIC/HEIF). The image is decoded, orientation applied, metadata (GPS) removed, and stored as a full image (at most 2048 px on the long side), a medium one (1080 px) and a 400×400 cover-cropped thumbnail, JPEG (or WebP with IMAGE_FORMAT=webp). `alt` describes the image for screen readers. Limited per user (RATE_LIMIT_UPLOAD_*).',
    isLimited: true,
    headers: { 'Idempotency-Key': idempotencyKey },
    upload: { fields: uploadFields, file: 'photo' },
    responses: {
      201: json(photoJson, 'The new photo.', ['Location', 'RateLimit', 'RateLimit-Policy']),
      400: failure('No file, a file that cannot be decoded, or a bad field.'),
      ...refusedUpload,
    },
  },
  {
    method: 'get',
    path: '/api/photos',
    id: 'listPhotos',
    tag: 'photos',
    summary: 'A feed page, newest first',
    description:
      "`home`: the caller's photos and their friends'; `profile`: the caller's own, or `user_id`'s; `all`: everyone's. `topic` and `q` narrow the feed. When there is more, the `Link` header points at the next page.",
    query: feedQuery,
    responses: {
      200: json(z.array(photoJson), 'One page of photos, newest first.', ['Link']),
      400: failure('A bad scope, limit, user_id or cursor.'),
      404: userNotFound,
    },
  },
  {
    method: 'get',
    path: '/api/photos/:id',
    id: 'getPhoto',
    tag: 'photos',
    summary: 'One photo',
    params: { id: photoId },
    responses: { 200: json(photoJson, 'The photo.'), 404: photoNotFound },
  },
  {
    method: 'patch',
    path: '/api/photos/:id',
    id: 'editPhoto',
    tag: 'photos',
    summary: "Edit one's own photo",
    description:
      'Changes caption, topic or alt text (at least one; null clears topic or alt); search terms follow the new text.',
    params: { id: photoId },
    body: photoEdit,
    responses: {
      200: json(photoJson, 'The photo, with edited_at set.'),
      403: notOwner,
      404: photoNotFound,
    },
  },
  {
    method: 'delete',
    path: '/api/photos/:id',
    id: 'deletePhoto',
    tag: 'photos',
    summary: "Delete one's own photo",
    description: 'Metadata, likes, comments and both image objects are removed.',
    params: { id: photoId },
    responses: {
      204: empty('Deleted.'),
      403: notOwner,
      404: photoNotFound,
    },
  },
  {
    method: 'get',
    path: '/api/photos/:id/image/:size',
    id: 'getPhotoImage',
    tag: 'photos',
    summary: 'Image bytes',
    description:
      'Streamed from storage with an ETag and a year-long private cache; HEAD answers the headers only. The content type is the one the photo was stored with.',
    params: { id: photoId, size: imageSize },
    headers: { 'If-None-Match': ifNoneMatch },
    responses: {
      ...imageAnswers('The image.', PHOTO_TYPES),
      400: failure('A size other than thumb or full.'),
      404: photoNotFound,
    },
  },
  {
    method: 'post',
    path: '/api/photos/:id/like',
    id: 'likePhoto',
    isLimited: true,
    tag: 'photos',
    summary: 'Like (liking twice counts once)',
    params: { id: photoId },
    responses: { 200: json(likeResultJson, 'Liked; the new count.'), 404: photoNotFound },
  },
  {
    method: 'get',
    path: '/api/photos/:id/likes',
    id: 'listLikers',
    tag: 'photos',
    summary: 'Who liked the photo, newest first',
    description: 'The `Link` header (rel="next") points at the next page when there is more.',
    params: { id: photoId },
    query: likersQuery,
    responses: {
      200: json(z.array(userJson), 'One page of people.', ['Link']),
      400: failure('A bad limit, or a cursor that is not one.'),
      404: photoNotFound,
    },
  },
  {
    method: 'delete',
    path: '/api/photos/:id/like',
    id: 'unlikePhoto',
    isLimited: true,
    tag: 'photos',
    summary: "Remove one's like (idempotent)",
    params: { id: photoId },
    responses: { 200: json(likeResultJson, 'Not liked; the new count.'), 404: photoNotFound },
  },

  // Activity
  {
    method: 'get',
    path: '/api/activity',
    id: 'listActivity',
    tag: 'activity',
    summary: 'What happened to the caller, one line per photo, kind and day, newest first',
    description:
      'Likes and comments on your photos, comments after yours, @mentions, friend requests to you and your requests accepted. `kind` filters (comma-separated); the `Link` header (rel="next") points at older lines.',
    query: activityQuery,
    responses: {
      200: json(z.array(activityJson), 'One page of lines.', ['Link']),
      400: failure('An unknown kind, a bad limit, or a cursor that is not one.'),
    },
  },
  {
    method: 'post',
    path: '/api/activity/read',
    id: 'markActivityRead',
    tag: 'activity',
    summary: 'Mark everything read',
    responses: { 204: empty('Everything is read.') },
  },
  {
    method: 'get',
    path: '/api/badges',
    id: 'getBadges',
    tag: 'activity',
    summary: 'The counts the navigation shows',
    description: 'Pages left open ask about every 30 seconds.',
    responses: { 200: json(badgesJson, 'Pending requests, unread messages, unread activity.') },
  },

  // Comments
  {
    method: 'get',
    path: '/api/photos/:id/comments',
    id: 'listComments',
    tag: 'comments',
    summary: 'A page of comments: the newest ones, oldest first within the page',
    description: 'The `Link` header (rel="next") points at the earlier comments when there are more.',
    params: { id: photoId },
    query: commentsQuery,
    responses: {
      200: json(z.array(commentJson), 'One page of comments, oldest first.', ['Link']),
      404: photoNotFound,
    },
  },
  {
    method: 'post',
    path: '/api/photos/:id/comments',
    id: 'addComment',
    isLimited: true,
    tag: 'comments',
    summary: 'Comment on a photo',
    params: { id: photoId },
    headers: { 'Idempotency-Key': idempotencyKey },
    body: commentText,
    responses: { 201: json(commentJson, 'The new comment.'), 404: photoNotFound },
  },
  {
    method: 'delete',
    path: '/api/photos/:id/comments/:commentId',
    id: 'deleteComment',
    tag: 'comments',
    summary: "Delete a comment (its author or the photo's owner)",
    params: { id: photoId, commentId },
    responses: {
      204: empty('Deleted.'),
      403: failure("Neither the comment's author nor the photo's owner."),
      404: failure('No such photo, or no such comment on it.'),
    },
  },

  // Blocks
  {
    method: 'post',
    path: '/api/blocks',
    id: 'block',
    tag: 'users',
    summary: 'Block someone',
    description:
      'Ends a friendship and deletes pending requests both ways. While either of two people blocks the other, each is invisible to the other on every path and every write between them is refused.',
    body: blockInput,
    responses: {
      201: json(blockJson, 'Blocked.'),
      400: failure('Yourself, or nobody named.'),
      404: userNotFound,
      409: failure('Already blocked.'),
    },
  },
  {
    method: 'get',
    path: '/api/blocks',
    id: 'listBlocks',
    tag: 'users',
    summary: 'The people the caller blocks',
    responses: { 200: json(z.array(blockJson), 'The most recent block first.') },
  },
  {
    method: 'delete',
    path: '/api/blocks/:userId',
    id: 'unblock',
    tag: 'users',
    summary: 'Unblock',
    description: 'Visibility returns; the friendship does not.',
    params: { userId },
    responses: {
      204: empty('Unblocked.'),
      404: failure('The caller does not block this person.'),
    },
  },

  // Reports and moderation
  {
    method: 'post',
    path: '/api/reports',
    id: 'report',
    tag: 'users',
    summary: 'Report a photo, a comment or a person',
    description:
      'A comment is named with its `photo_id`. The same person reporting the same item again: 200 with the first id.',
    body: reportInput,
    isLimited: true,
    responses: {
      200: json(reportCreatedJson, 'Already reported by the caller: the first report.'),
      201: json(reportCreatedJson, 'Reported.'),
      404: failure('No such item (or it is hidden from the caller).'),
    },
  },
  {
    method: 'get',
    path: '/api/moderation/reports',
    id: 'listReports',
    tag: 'users',
    summary: 'Reports grouped by item (moderators)',
    description: 'Newest first. 404 for everyone but moderators.',
    query: reportsQuery,
    responses: {
      200: json(z.array(reportGroupJson), 'One entry per reported item.'),
      404: failure('Not a moderator.'),
    },
  },
  {
    method: 'post',
    path: '/api/moderation/actions',
    id: 'moderate',
    tag: 'users',
    summary: 'Remove, suspend, unsuspend or dismiss (moderators)',
    description:
      'remove: the photo (with its likes, comments and images) or the comment; suspend/unsuspend: the person, or the author of the photo or comment; dismiss: close the reports. Logged.',
    body: moderationActionInput,
    responses: {
      200: json(moderationActionJson, 'Done and logged.'),
      404: failure('Not a moderator, or no such item.'),
    },
  },
  {
    method: 'get',
    path: '/api/moderation/log',
    id: 'moderationLog',
    tag: 'users',
    summary: 'Every moderation action, newest first (moderators)',
    responses: {
      200: json(z.array(moderationActionJson), 'The log.'),
      404: failure('Not a moderator.'),
    },
  },

  // Friends
  {
    method: 'post',
    path: '/api/friends/request',
    id: 'requestFriend',
    isLimited: true,
    tag: 'friends',
    summary: 'Ask someone to be friends',
    description:
      'If the other user had already asked the caller, the pair become friends at once (status `accepted`).',
    body: friendRequestInput,
    responses: {
      201: json(friendRequestCreatedJson, 'Asked, or friends at once.'),
      400: failure('Neither username nor user_id, or oneself.'),
      403: failure('Either of the two blocks the other (`blocked`).'),
      404: userNotFound,
      409: failure('Already friends, or a request is already pending.'),
    },
  },
  {
    method: 'get',
    path: '/api/friends/requests',
    id: 'listFriendRequests',
    tag: 'friends',
    summary: 'Pending requests to or from the caller',
    query: z.object({ direction: requestDirection }),
    responses: {
      200: json(z.array(friendRequestJson), 'Pending requests.'),
      400: failure('A direction other than incoming or outgoing.'),
    },
  },
  {
    method: 'post',
    path: '/api/friends/respond',
    id: 'respondToFriendRequest',
    tag: 'friends',
    summary: 'Accept or decline a request addressed to the caller',
    body: respondInput,
    responses: {
      200: json(respondResultJson, 'Accepted or declined.'),
      404: failure('No such pending request addressed to the caller.'),
    },
  },
  {
    method: 'delete',
    path: '/api/friends/requests/:id',
    id: 'cancelFriendRequest',
    tag: 'friends',
    summary: 'The sender withdraws a pending request',
    params: { id: idParam('request id') },
    responses: { 204: empty('Withdrawn.'), 404: failure('No such pending request from the caller.') },
  },
  {
    method: 'get',
    path: '/api/friends/list',
    id: 'listFriends',
    tag: 'friends',
    summary: "The caller's friends",
    responses: { 200: json(z.array(friendJson), 'Friends.') },
  },
  {
    method: 'get',
    path: '/api/friends',
    id: 'listFriendsAlias',
    tag: 'friends',
    summary: 'Alias of GET /api/friends/list',
    responses: { 200: json(z.array(friendJson), 'Friends.') },
  },
  {
    method: 'delete',
    path: '/api/friends/:userId',
    id: 'unfriend',
    tag: 'friends',
    summary: 'Unfriend',
    params: { userId: idParam('user id') },
    responses: { 204: empty('No longer friends.'), 404: failure('Not friends.') },
  },

  // Messages
  {
    method: 'post',
    path: '/api/messages',
    id: 'sendMessage',
    isLimited: true,
    tag: 'messages',
    summary: 'Send a message to a friend',
    headers: { 'Idempotency-Key': idempotencyKey },
    body: messageInput,
    responses: {
      201: json(messageJson, 'The message.'),
      403: failure('Not friends (`not_friends`), or either blocks the other (`blocked`).'),
      404: userNotFound,
    },
  },
  {
    method: 'get',
    path: '/api/messages',
    id: 'listMessages',
    tag: 'messages',
    summary: 'A conversation, oldest first',
    description:
      'The latest 100 messages, or with `after` only the newer ones (at most 100): the chat page polls this every 3 seconds. Reading marks the conversation read.',
    query: messagesQuery,
    responses: {
      200: json(z.array(messageJson), 'Messages, oldest first.'),
      400: failure('A bad user_id or after.'),
      403: failure('Either of the two blocks the other (`blocked`).'),
      404: userNotFound,
    },
  },
  {
    method: 'get',
    path: '/api/conversations',
    id: 'listConversations',
    tag: 'messages',
    summary: "The caller's conversations, most recent first",
    responses: { 200: json(z.array(conversationJson), 'Conversations.') },
  },

  // Operations
  {
    method: 'get',
    path: '/api/openapi.json',
    id: 'openApiDocument',
    tag: 'operations',
    summary: 'This document',
    description: 'The OpenAPI 3.1 document, generated from the schemas the server validates with.',
    isPublic: true,
    responses: { 200: json(documentJson, 'The OpenAPI document.') },
  },
  {
    method: 'get',
    path: '/metrics',
    id: 'metrics',
    tag: 'operations',
    summary: 'Prometheus metrics of every worker together',
    description:
      'Served only when METRICS_TOKEN is set, and only to `Authorization: Bearer <METRICS_TOKEN>`: requests and latency by route and status, store calls and errors, image-queue depth, event-loop lag.',
    security: 'metricsToken',
    responses: {
      200: { description: 'The Prometheus text exposition.', text: ['text/plain'] },
      401: { description: 'No bearer token, or a wrong one.', text: ['text/plain'] },
      404: { description: 'METRICS_TOKEN is not set: the not-found page.', text: ['text/html'] },
    },
  },
  {
    method: 'get',
    path: '/healthz',
    id: 'healthz',
    tag: 'operations',
    summary: 'Liveness: 200 while the process serves',
    isPublic: true,
    responses: { 200: json(healthJson, 'Serving.') },
  },
  {
    method: 'get',
    path: '/readyz',
    id: 'readyz',
    tag: 'operations',
    summary: 'Readiness: every backing store answers',
    isPublic: true,
    responses: {
      200: json(readinessJson, 'Every store answers.'),
      503: json(readinessJson, 'A store does not answer; `unavailable` names it.'),
    },
  },
];

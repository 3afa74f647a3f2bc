/**
 * Typed errors thrown by services and adapters, and by the HTTP edge for what libraries refuse
 * (middleware/upload.ts, middleware/body.ts). The HTTP edge maps `status` and `code`; `message` is
 * a sentence a person can read and is safe to show.
 */

/** Every machine code an error answer can carry (the `code` of `{message, code}`). */
export type ErrorCode =
  // 400
  | 'invalid_input'
  | 'invalid_json'
  | 'bad_request'
  | 'range_not_satisfiable'
  | 'precondition_failed'
  | 'missing_file'
  | 'malformed_upload'
  | 'request_aborted'
  | 'undecodable_image'
  | 'self_request'
  | 'self_message'
  | 'self_block'
  | 'invalid_blob_key'
  // 401, 403
  | 'unauthenticated'
  | 'invalid_credentials'
  | 'wrong_password'
  | 'forbidden'
  | 'cross_site'
  | 'not_owner'
  | 'not_allowed'
  | 'blocked'
  | 'account_suspended'
  | 'account_deleting'
  // 404
  | 'not_found'
  | 'page_not_found'
  | 'no_such_endpoint'
  | 'photo_not_found'
  | 'image_not_found'
  | 'comment_not_found'
  | 'user_not_found'
  | 'request_not_found'
  | 'not_friends'
  | 'session_not_found'
  | 'avatar_not_found'
  | 'block_not_found'
  // 409
  | 'conflict'
  | 'username_taken'
  | 'email_taken'
  | 'already_friends'
  | 'already_blocked'
  | 'request_pending'
  | 'friend_request_exists'
  | 'photo_exists'
  | 'comment_exists'
  | 'message_exists'
  // 413, 415, 429, 500, 503
  | 'payload_too_large'
  | 'file_too_large'
  | 'image_too_large'
  | 'unsupported_media_type'
  | 'unsupported_body_type'
  | 'rate_limited'
  | 'internal_error'
  | 'service_unavailable';

export abstract class AppError extends Error {
  abstract readonly status: number;
  constructor(
    message: string,
    readonly code: ErrorCode,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The base of an error that always answers `status`: the thrower gives the sentence, and a finer
 * code than `code` when a client may act on it (`username_taken` rather than `conflict`).
 */
function withStatus(status: number, code: ErrorCode) {
  return class extends AppError {
    readonly status = status;
    constructor(message: string, finerCode: ErrorCode = code) {
      super(message, finerCode);
    }
  };
}

export class InvalidInput extends withStatus(400, 'invalid_input') {}

export class Unauthenticated extends AppError {
  readonly status = 401;
  constructor(message = 'authentication required', code: ErrorCode = 'unauthenticated') {
    super(message, code);
  }
}

export class Forbidden extends withStatus(403, 'forbidden') {}

export class NotFound extends withStatus(404, 'not_found') {}

/** What "No such …" can be said of, with its sentence and code. */
const MISSING = {
  photo: ['No such photo.', 'photo_not_found'],
  comment: ['No such comment.', 'comment_not_found'],
  user: ['No such user.', 'user_not_found'],
  friendRequest: ['No such friend request.', 'request_not_found'],
} as const satisfies Record<string, readonly [string, ErrorCode]>;

export type Missing = keyof typeof MISSING;

/**
 * The 404 for a thing that is not there: a lookup that found nothing, or an address whose id
 * cannot name anything (a mistyped link reads "No such photo.", whatever the shape of its id).
 */
export function noSuch(thing: Missing): NotFound {
  const [message, code] = MISSING[thing];
  return new NotFound(message, code);
}

export class Conflict extends withStatus(409, 'conflict') {}

export class PayloadTooLarge extends withStatus(413, 'payload_too_large') {}

export class UnsupportedMedia extends withStatus(415, 'unsupported_media_type') {}

export class RateLimited extends AppError {
  readonly status = 429;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    code: ErrorCode = 'rate_limited',
  ) {
    super(message, code);
  }
}

/**
 * A request HTTP itself refuses, with the 4xx status the library that read it chose: a range
 * outside the file (416), a precondition that does not hold (412), a request it cannot parse.
 */
export class RequestRefused extends AppError {
  constructor(
    readonly status: number,
    message: string,
    code: ErrorCode = 'bad_request',
  ) {
    super(message, code);
  }
}

/** A backing store did not answer in time or refused the connection. `store` names it. */
export class Unavailable extends AppError {
  readonly status = 503;
  constructor(
    readonly store: string,
    message = `${store} is unavailable, please try again shortly`,
    code: ErrorCode = 'service_unavailable',
  ) {
    super(message, code);
  }
}

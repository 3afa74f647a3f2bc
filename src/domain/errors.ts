/**
 * Typed errors thrown by services and adapters. The HTTP edge maps `status` and `code`;
 * `message` is a sentence a person can read and is safe to show.
 */
export abstract class AppError extends Error {
  abstract readonly status: number;
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidInput extends AppError {
  readonly status = 400;
  constructor(message: string, code = 'invalid_input') {
    super(message, code);
  }
}

export class Unauthenticated extends AppError {
  readonly status = 401;
  constructor(message = 'authentication required', code = 'unauthenticated') {
    super(message, code);
  }
}

export class Forbidden extends AppError {
  readonly status = 403;
  constructor(message: string, code = 'forbidden') {
    super(message, code);
  }
}

export class NotFound extends AppError {
  readonly status = 404;
  constructor(message: string, code = 'not_found') {
    super(message, code);
  }
}

export class Conflict extends AppError {
  readonly status = 409;
  constructor(message: string, code = 'conflict') {
    super(message, code);
  }
}

export class PayloadTooLarge extends AppError {
  readonly status = 413;
  constructor(message: string, code = 'payload_too_large') {
    super(message, code);
  }
}

export class UnsupportedMedia extends AppError {
  readonly status = 415;
  constructor(message: string, code = 'unsupported_media_type') {
    super(message, code);
  }
}

export class RateLimited extends AppError {
  readonly status = 429;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    code = 'rate_limited',
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
    code = 'service_unavailable',
  ) {
    super(message, code);
  }
}

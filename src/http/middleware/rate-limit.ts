import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type Store } from 'express-rate-limit';
import { RateLimited } from '../../domain/errors';
import type { Config } from '../../config';
import type { RateLimitStore } from '../../ports';
import { viewerOf } from './session';

/** express-rate-limit's Store on our RateLimitStore port, so both workers (and every instance) share counters. */
class PortStore implements Store {
  readonly localKeys = false;
  private windowMs = 60_000;

  constructor(
    private readonly counters: RateLimitStore,
    readonly prefix: string,
  ) {}

  init(options: { windowMs: number }): void {
    this.windowMs = options.windowMs;
  }

  async increment(key: string) {
    const { count, resetAt } = await this.counters.increment(this.prefix + key, this.windowMs);
    return { totalHits: count, resetTime: resetAt };
  }

  decrement(key: string): Promise<void> {
    return this.counters.decrement(this.prefix + key);
  }

  resetKey(key: string): Promise<void> {
    return this.counters.reset(this.prefix + key);
  }
}

interface LimitOptions {
  name: string;
  max: number;
  windowMs: number;
  message: string;
  key: (req: Request) => string;
  /** Count only failures (login attempts that did not sign in). */
  onlyFailures?: boolean;
}

function limiter(counters: RateLimitStore, o: LimitOptions): RequestHandler {
  return rateLimit({
    windowMs: o.windowMs,
    limit: o.max,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    store: new PortStore(counters, `${o.name}:`),
    keyGenerator: o.key,
    skipFailedRequests: false,
    skipSuccessfulRequests: o.onlyFailures ?? false,
    // A broken counter store must not lock everyone out, nor let the request through unseen:
    // its Unavailable error reaches the error middleware as a 503.
    passOnStoreError: false,
    handler: (req, _res, next) => {
      const resetTime = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = Math.max(1, Math.ceil(((resetTime?.getTime() ?? Date.now()) - Date.now()) / 1000));
      next(new RateLimited(o.message, seconds));
    },
  });
}

const ipOf = (req: Request) => ipKeyGenerator(req.ip ?? 'unknown');
const usernameOf = (req: Request) => {
  const body = req.body as { username?: unknown } | undefined;
  return typeof body?.username === 'string' ? body.username.trim().toLowerCase().slice(0, 64) : '';
};

export interface RateLimits {
  loginByUser: RequestHandler;
  loginByIp: RequestHandler;
  signup: RequestHandler;
  upload: RequestHandler;
  /** Wrong current passwords (change password), counted per person like failed log-ins. */
  passwordByUser: RequestHandler;
  comment: RequestHandler;
  message: RequestHandler;
  friendRequest: RequestHandler;
  like: RequestHandler;
  report: RequestHandler;
  /** Downloads of one's own data: each reads every photo, so a few an hour. */
  export: RequestHandler;
}

export const messages = {
  tooManyAttempts: 'Too many attempts. Please wait and try again.',
  signup: 'Too many sign-ups from this address. Please try again later.',
  upload: 'Too many uploads. Please wait a while before posting more photos.',
  comment: 'You are commenting very quickly. Please wait a moment and try again.',
  message: 'You are sending messages very quickly. Please wait a moment and try again.',
  friendRequest: 'You have sent many friend requests. Please wait a while before sending more.',
  like: 'You are liking very quickly. Please wait a moment and try again.',
  report: 'You have sent many reports. Please wait a while before sending more.',
  export:
    'You have downloaded your data several times recently. Please wait a while before downloading it again.',
};

/** Limits counted per signed-in person: their keys are `<name>:<user id>`. */
const PER_USER = [
  'password-user',
  'upload-user',
  'comment-user',
  'message-user',
  'friend-request-user',
  'like-user',
  'report-user',
  'export-user',
] as const;
type PerUserLimit = (typeof PER_USER)[number];

/**
 * The counters that name a person, for their account deletion: every per-person key, and the
 * log-in counters `login-user:<ip>|<username>` (by their ending).
 */
export const counterKeysOf = (user: {
  id: number;
  username: string;
}): { keys: string[]; endingWith: string } => ({
  keys: PER_USER.map((name) => `${name}:${user.id}`),
  endingWith: `|${user.username.trim().toLowerCase().slice(0, 64)}`,
});

export function createRateLimits(counters: RateLimitStore, limits: Config['rateLimits']): RateLimits {
  /** A limit per signed-in person (their routes sit behind requireUser). */
  const perUser = (name: PerUserLimit, limit: { max: number; windowMs: number }, message: string) =>
    limiter(counters, { name, ...limit, message, key: (req) => String(viewerOf(req)?.id ?? ipOf(req)) });
  return {
    loginByUser: limiter(counters, {
      name: 'login-user',
      max: limits.login.max,
      windowMs: limits.login.windowMs,
      message: messages.tooManyAttempts,
      key: (req) => `${ipOf(req)}|${usernameOf(req)}`,
      onlyFailures: true,
    }),
    loginByIp: limiter(counters, {
      name: 'login-ip',
      max: limits.login.ipMax,
      windowMs: limits.login.windowMs,
      message: messages.tooManyAttempts,
      key: ipOf,
    }),
    signup: limiter(counters, {
      name: 'signup-ip',
      ...limits.signup,
      message: messages.signup,
      key: ipOf,
    }),
    passwordByUser: limiter(counters, {
      name: 'password-user',
      max: limits.login.max,
      windowMs: limits.login.windowMs,
      message: messages.tooManyAttempts,
      key: (req) => String(viewerOf(req)?.id ?? ipOf(req)),
      onlyFailures: true,
    }),
    upload: perUser('upload-user', limits.upload, messages.upload),
    comment: perUser('comment-user', limits.comment, messages.comment),
    message: perUser('message-user', limits.message, messages.message),
    friendRequest: perUser('friend-request-user', limits.friendRequest, messages.friendRequest),
    like: perUser('like-user', limits.like, messages.like),
    report: perUser('report-user', limits.report, messages.report),
    export: perUser('export-user', limits.export, messages.export),
  };
}

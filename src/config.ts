import { resolve } from 'node:path';
import { z } from 'zod';

/**
 * The only file that reads process.env. The environment is parsed once by zod schemas whose
 * transforms build the config object (so its type is derived from them), validated with one
 * error listing every bad key, and frozen. Durations are in milliseconds, sizes in bytes.
 *
 * Reading is all it does: nothing is written. A missing SESSION_SECRET stays undefined here and
 * start-up decides what to do about it (see withSessionSecret()).
 */

const int = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(fallback);
const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const seconds = (fallback: number) => int(fallback, 1).transform((s) => s * 1000);

export const MIN_SECRET_LENGTH = 32;
/** Where start-up keeps the secret it generated when SESSION_SECRET is unset, inside DATA_DIR. */
export const SESSION_SECRET_FILE = 'session-secret';
const KNOWN_DEFAULT_SECRETS = new Set(['secret', 'changeme', 'change-me', 'keyboard cat', 'lumina']);

/** Short or well-known secrets are refused whatever the mode: they sign every session cookie. */
const sessionSecret = optionalString.refine(
  (secret) =>
    secret === undefined ||
    (secret.length >= MIN_SECRET_LENGTH && !KNOWN_DEFAULT_SECRETS.has(secret.toLowerCase())),
  `must be a random value of at least ${MIN_SECRET_LENGTH} characters (or unset, to have one generated into DATA_DIR)`,
);

/** The bearer token /metrics answers (unset: /metrics is 404); long enough not to be guessed. */
const metricsToken = optionalString.refine(
  (token) => token === undefined || token.length >= 16,
  'must be at least 16 characters (or unset, so /metrics is not served)',
);

/** Express's `trust proxy`: false, true, a hop count or a list of addresses. */
const trustProxy = z
  .string()
  .default('false')
  .transform((raw): boolean | number | string => {
    if (raw === 'true') return true;
    if (raw === 'false' || raw === '') return false;
    if (/^\d+$/.test(raw)) return Number(raw);
    return raw;
  });

const commonSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: int(8080, 1, 65535),
    HOST: z.string().default('0.0.0.0'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    TRUST_PROXY: trustProxy,
    DATA_DIR: z
      .string()
      .default('./data')
      .transform((dir) => resolve(dir)),
    SESSION_SECRET: sessionSecret,
    SESSION_COOKIE_NAME: z
      .string()
      .regex(/^[\w.-]+$/)
      .default('lumina.sid'),
    SESSION_IDLE_MINUTES: int(60 * 24 * 7, 1),
    SESSION_ABSOLUTE_HOURS: int(24 * 30, 1),
    BCRYPT_COST: int(12, 4, 15),
    JSON_BODY_LIMIT: z.string().default('100kb'),
    UPLOAD_MAX_BYTES: int(15 * 1024 * 1024, 1024),
    IMAGE_MAX_PIXELS: int(40_000_000, 1),
    IMAGE_MAX_SIDE: int(16_384, 1),
    IMAGE_CONCURRENCY: int(2, 1),
    IMAGE_FORMAT: z.enum(['jpeg', 'webp']).default('jpeg'),
    STORE_TIMEOUT_MS: int(3000, 100),
    METRICS_TOKEN: metricsToken,
    SWEEP_INTERVAL_MINUTES: int(24 * 60, 0),
    SWEEP_GRACE_MINUTES: int(60, 1),
    /** Set by PM2 in cluster mode: 0, 1, ... for each worker. */
    NODE_APP_INSTANCE: int(0, 0),
    RATE_LIMIT_LOGIN_MAX: int(10, 1),
    RATE_LIMIT_LOGIN_IP_MAX: int(50, 1),
    RATE_LIMIT_LOGIN_WINDOW_SECONDS: seconds(15 * 60),
    RATE_LIMIT_SIGNUP_MAX: int(10, 1),
    RATE_LIMIT_SIGNUP_WINDOW_SECONDS: seconds(60 * 60),
    RATE_LIMIT_UPLOAD_MAX: int(60, 1),
    RATE_LIMIT_UPLOAD_WINDOW_SECONDS: seconds(60 * 60),
    RATE_LIMIT_COMMENT_MAX: int(30, 1),
    RATE_LIMIT_COMMENT_WINDOW_SECONDS: seconds(5 * 60),
    RATE_LIMIT_MESSAGE_MAX: int(60, 1),
    RATE_LIMIT_MESSAGE_WINDOW_SECONDS: seconds(60),
    RATE_LIMIT_FRIEND_REQUEST_MAX: int(30, 1),
    RATE_LIMIT_FRIEND_REQUEST_WINDOW_SECONDS: seconds(60 * 60),
    RATE_LIMIT_LIKE_MAX: int(120, 1),
    RATE_LIMIT_LIKE_WINDOW_SECONDS: seconds(60),
    RATE_LIMIT_REPORT_MAX: int(20, 1),
    RATE_LIMIT_REPORT_WINDOW_SECONDS: seconds(60 * 60),
    RATE_LIMIT_EXPORT_MAX: int(5, 1),
    RATE_LIMIT_EXPORT_WINDOW_SECONDS: seconds(60 * 60),
  })
  .transform((e) => ({
    env: e.NODE_ENV,
    isProduction: e.NODE_ENV === 'production',
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    /** Passed to Express's `trust proxy`: false, true, a hop count or a list of addresses. */
    trustProxy: e.TRUST_PROXY,
    /** Absolute. */
    dataDir: e.DATA_DIR,
    storeTimeoutMs: e.STORE_TIMEOUT_MS,
    /** Undefined: /metrics is not served. */
    metricsToken: e.METRICS_TOKEN,
    /** Which PM2 worker this is (0 outside PM2): jobs that need one runner run in worker 0. */
    workerIndex: e.NODE_APP_INSTANCE,
    sweep: {
      /** 0: never on a schedule (`npm run sweep` still works). */
      intervalMs: e.SWEEP_INTERVAL_MINUTES * 60_000,
      /** Longer than any upload stays in flight: younger objects are never taken. */
      graceMs: e.SWEEP_GRACE_MINUTES * 60_000,
    },
    session: {
      /** Undefined when SESSION_SECRET is unset: start-up supplies one (withSessionSecret()). */
      secret: e.SESSION_SECRET,
      cookieName: e.SESSION_COOKIE_NAME,
      idleMs: e.SESSION_IDLE_MINUTES * 60_000,
      absoluteMs: e.SESSION_ABSOLUTE_HOURS * 3_600_000,
    },
    bcryptCost: e.BCRYPT_COST,
    jsonBodyLimit: e.JSON_BODY_LIMIT,
    images: {
      maxUploadBytes: e.UPLOAD_MAX_BYTES,
      maxPixels: e.IMAGE_MAX_PIXELS,
      maxSide: e.IMAGE_MAX_SIDE,
      concurrency: e.IMAGE_CONCURRENCY,
      /** Encoding of stored images; JPEG loads everywhere, WebP is smaller. */
      format: e.IMAGE_FORMAT,
    },
    rateLimits: {
      login: {
        max: e.RATE_LIMIT_LOGIN_MAX,
        ipMax: e.RATE_LIMIT_LOGIN_IP_MAX,
        windowMs: e.RATE_LIMIT_LOGIN_WINDOW_SECONDS,
      },
      signup: { max: e.RATE_LIMIT_SIGNUP_MAX, windowMs: e.RATE_LIMIT_SIGNUP_WINDOW_SECONDS },
      upload: { max: e.RATE_LIMIT_UPLOAD_MAX, windowMs: e.RATE_LIMIT_UPLOAD_WINDOW_SECONDS },
      comment: { max: e.RATE_LIMIT_COMMENT_MAX, windowMs: e.RATE_LIMIT_COMMENT_WINDOW_SECONDS },
      message: { max: e.RATE_LIMIT_MESSAGE_MAX, windowMs: e.RATE_LIMIT_MESSAGE_WINDOW_SECONDS },
      friendRequest: {
        max: e.RATE_LIMIT_FRIEND_REQUEST_MAX,
        windowMs: e.RATE_LIMIT_FRIEND_REQUEST_WINDOW_SECONDS,
      },
      like: { max: e.RATE_LIMIT_LIKE_MAX, windowMs: e.RATE_LIMIT_LIKE_WINDOW_SECONDS },
      report: { max: e.RATE_LIMIT_REPORT_MAX, windowMs: e.RATE_LIMIT_REPORT_WINDOW_SECONDS },
      export: { max: e.RATE_LIMIT_EXPORT_MAX, windowMs: e.RATE_LIMIT_EXPORT_WINDOW_SECONDS },
    },
  }));

const awsSchema = z
  .object({
    STORAGE_BACKEND: z.literal('aws'),
    AWS_REGION: z.string().default('us-east-1'),
    AWS_ACCESS_KEY_ID: optionalString,
    AWS_SECRET_ACCESS_KEY: optionalString,
    MYSQL_HOST: z.string().min(1),
    MYSQL_PORT: int(3306, 1, 65535),
    MYSQL_USER: z.string().min(1),
    MYSQL_PASSWORD: z.string().default(''),
    MYSQL_DATABASE: z.string().regex(/^\w+$/),
    MYSQL_POOL_SIZE: int(10, 1),
    DYNAMODB_ENDPOINT: optionalString,
    DYNAMODB_PHOTOS_TABLE: z.string().default('lumina_photos'),
    DYNAMODB_COMMENTS_TABLE: z.string().default('lumina_comments'),
    DYNAMODB_MESSAGES_TABLE: z.string().default('lumina_messages'),
    S3_BUCKET: z.string().min(3),
    S3_ENDPOINT: optionalString,
    S3_FORCE_PATH_STYLE: bool(false),
  })
  .transform((a) => ({
    backend: a.STORAGE_BACKEND,
    aws: {
      region: a.AWS_REGION,
      ...(a.AWS_ACCESS_KEY_ID && a.AWS_SECRET_ACCESS_KEY
        ? { credentials: { accessKeyId: a.AWS_ACCESS_KEY_ID, secretAccessKey: a.AWS_SECRET_ACCESS_KEY } }
        : {}),
      mysql: {
        host: a.MYSQL_HOST,
        port: a.MYSQL_PORT,
        user: a.MYSQL_USER,
        password: a.MYSQL_PASSWORD,
        database: a.MYSQL_DATABASE,
        poolSize: a.MYSQL_POOL_SIZE,
      },
      dynamodb: {
        ...(a.DYNAMODB_ENDPOINT ? { endpoint: a.DYNAMODB_ENDPOINT } : {}),
        tables: {
          photos: a.DYNAMODB_PHOTOS_TABLE,
          comments: a.DYNAMODB_COMMENTS_TABLE,
          messages: a.DYNAMODB_MESSAGES_TABLE,
        },
      },
      s3: {
        bucket: a.S3_BUCKET,
        ...(a.S3_ENDPOINT ? { endpoint: a.S3_ENDPOINT } : {}),
        forcePathStyle: a.S3_FORCE_PATH_STYLE,
      },
    },
  }));

/** STORAGE_BACKEND=embedded|aws (default embedded) selects the variant; AWS keys are required only for aws. */
const storageSchema = z.discriminatedUnion(
  'STORAGE_BACKEND',
  [
    z
      .object({ STORAGE_BACKEND: z.literal('embedded').default('embedded') })
      .transform((e) => ({ backend: e.STORAGE_BACKEND })),
    awsSchema,
  ],
  { error: 'must be embedded or aws' },
);

type Storage = z.output<typeof storageSchema>;
export type AwsConfig = Extract<Storage, { backend: 'aws' }>['aws'];

/** What the environment says, as parsed: the session secret may be missing. */
export type EnvConfig = Readonly<z.output<typeof commonSchema> & { storage: Storage }>;

/** The config the app runs with: EnvConfig with its session secret settled. */
export type Config = Readonly<
  Omit<EnvConfig, 'session'> & { session: EnvConfig['session'] & { secret: string } }
>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function describe(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`);
}

/**
 * Parses the environment. Throws ConfigError naming every bad key at once. No I/O: a missing
 * SESSION_SECRET is left undefined for start-up to settle with withSessionSecret().
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): EnvConfig {
  // Two schemas over the same keys, so a bad AWS key and a bad common key are reported together.
  const common = commonSchema.safeParse(env);
  const storage = storageSchema.safeParse(env);
  const problems = [
    ...(common.success ? [] : describe(common.error)),
    ...(storage.success ? [] : describe(storage.error)),
  ];
  if (!common.success || !storage.success) {
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return deepFreeze({ ...common.data, storage: storage.data });
}

/**
 * The config with its session secret: the one from SESSION_SECRET, or else `fallback` (start-up
 * passes the secret it generated once and keeps in DATA_DIR, so both workers and restarts share it).
 */
export function withSessionSecret(config: EnvConfig, fallback: () => string): Config {
  const secret = config.session.secret ?? fallback();
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(`the session secret is shorter than ${MIN_SECRET_LENGTH} characters`);
  }
  return deepFreeze({ ...config, session: { ...config.session, secret } });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

/**
 * The only file that reads process.env. Everything is parsed once, validated with one
 * error listing every bad key, and frozen. Durations are in milliseconds, sizes in bytes.
 */

const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);
const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const common = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(8080, 1).pipe(z.number().max(65535)),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: z.string().default('false'),
  DATA_DIR: z.string().default('./data'),
  STORAGE_BACKEND: z.enum(['embedded', 'aws']).default('embedded'),
  SESSION_SECRET: optionalString,
  SESSION_COOKIE_NAME: z
    .string()
    .regex(/^[\w.-]+$/)
    .default('lumina.sid'),
  SESSION_IDLE_MINUTES: int(60 * 24 * 7, 1),
  SESSION_ABSOLUTE_HOURS: int(24 * 30, 1),
  BCRYPT_COST: int(12, 4).pipe(z.number().max(15)),
  JSON_BODY_LIMIT: z.string().default('100kb'),
  UPLOAD_MAX_BYTES: int(15 * 1024 * 1024, 1024),
  IMAGE_MAX_PIXELS: int(40_000_000, 1),
  IMAGE_MAX_SIDE: int(16_384, 1),
  IMAGE_CONCURRENCY: int(2, 1),
  IMAGE_FORMAT: z.enum(['jpeg', 'webp']).default('jpeg'),
  STORE_TIMEOUT_MS: int(3000, 100),
  RATE_LIMIT_LOGIN_MAX: int(10, 1),
  RATE_LIMIT_LOGIN_IP_MAX: int(50, 1),
  RATE_LIMIT_LOGIN_WINDOW_SECONDS: int(15 * 60, 1),
  RATE_LIMIT_SIGNUP_MAX: int(10, 1),
  RATE_LIMIT_SIGNUP_WINDOW_SECONDS: int(60 * 60, 1),
  RATE_LIMIT_UPLOAD_MAX: int(60, 1),
  RATE_LIMIT_UPLOAD_WINDOW_SECONDS: int(60 * 60, 1),
});

const aws = z.object({
  AWS_REGION: z.string().default('us-east-1'),
  AWS_ACCESS_KEY_ID: optionalString,
  AWS_SECRET_ACCESS_KEY: optionalString,
  MYSQL_HOST: z.string().min(1),
  MYSQL_PORT: int(3306, 1),
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
});

export type AwsConfig = {
  region: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  mysql: { host: string; port: number; user: string; password: string; database: string; poolSize: number };
  dynamodb: { endpoint?: string; tables: { photos: string; comments: string; messages: string } };
  s3: { bucket: string; endpoint?: string; forcePathStyle: boolean };
};

export type Config = Readonly<{
  env: 'development' | 'production' | 'test';
  isProduction: boolean;
  port: number;
  host: string;
  logLevel: string;
  /** Passed to Express's `trust proxy`: false, true, a hop count or a list of addresses. */
  trustProxy: boolean | number | string;
  dataDir: string;
  storeTimeoutMs: number;
  storage: { backend: 'embedded' } | { backend: 'aws'; aws: AwsConfig };
  session: { secret: string; cookieName: string; idleMs: number; absoluteMs: number };
  bcryptCost: number;
  jsonBodyLimit: string;
  images: {
    maxUploadBytes: number;
    maxPixels: number;
    maxSide: number;
    concurrency: number;
    /** Encoding of stored images; JPEG loads everywhere, WebP is smaller. */
    format: 'jpeg' | 'webp';
  };
  rateLimits: {
    login: { max: number; ipMax: number; windowMs: number };
    signup: { max: number; windowMs: number };
    upload: { max: number; windowMs: number };
  };
}>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const MIN_SECRET_LENGTH = 32;
const KNOWN_DEFAULT_SECRETS = new Set(['secret', 'changeme', 'change-me', 'keyboard cat', 'lumina']);

function parseTrustProxy(raw: string): boolean | number | string {
  if (raw === 'true') return true;
  if (raw === 'false' || raw === '') return false;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw;
}

function describe(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`);
}

/**
 * Outside production a missing secret is generated once and kept in the data directory, so a
 * fresh clone runs with no configuration and both workers (and restarts) share it.
 */
function developmentSecret(dataDir: string): string {
  const file = join(dataDir, 'session-secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(dataDir, { recursive: true });
    const secret = randomBytes(32).toString('hex');
    try {
      writeFileSync(file, secret, { flag: 'wx', mode: 0o600 });
    } catch {
      // Another worker wrote it first: use theirs.
    }
    return readFileSync(file, 'utf8').trim();
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const base = common.safeParse(env);
  if (!base.success) problems.push(...describe(base.error));
  const awsParsed = base.success && base.data.STORAGE_BACKEND === 'aws' ? aws.safeParse(env) : undefined;
  if (awsParsed && !awsParsed.success) problems.push(...describe(awsParsed.error));

  const e = base.data;
  if (e?.NODE_ENV === 'production') {
    const secret = e.SESSION_SECRET;
    if (!secret || secret.length < MIN_SECRET_LENGTH || KNOWN_DEFAULT_SECRETS.has(secret.toLowerCase())) {
      problems.push(
        `SESSION_SECRET: in production it must be set to a random value of at least ${MIN_SECRET_LENGTH} characters`,
      );
    }
  }
  if (problems.length > 0 || !e) {
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }

  const dataDir = resolve(e.DATA_DIR);
  let storage: Config['storage'] = { backend: 'embedded' };
  if (awsParsed?.success) {
    const a = awsParsed.data;
    storage = {
      backend: 'aws',
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
    };
  }

  const config: Config = {
    env: e.NODE_ENV,
    isProduction: e.NODE_ENV === 'production',
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    dataDir,
    storeTimeoutMs: e.STORE_TIMEOUT_MS,
    storage,
    session: {
      secret: e.SESSION_SECRET ?? developmentSecret(dataDir),
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
      format: e.IMAGE_FORMAT,
    },
    rateLimits: {
      login: {
        max: e.RATE_LIMIT_LOGIN_MAX,
        ipMax: e.RATE_LIMIT_LOGIN_IP_MAX,
        windowMs: e.RATE_LIMIT_LOGIN_WINDOW_SECONDS * 1000,
      },
      signup: { max: e.RATE_LIMIT_SIGNUP_MAX, windowMs: e.RATE_LIMIT_SIGNUP_WINDOW_SECONDS * 1000 },
      upload: { max: e.RATE_LIMIT_UPLOAD_MAX, windowMs: e.RATE_LIMIT_UPLOAD_WINDOW_SECONDS * 1000 },
    },
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

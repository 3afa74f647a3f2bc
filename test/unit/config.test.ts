import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, withSessionSecret } from '../../src/config';

/** Never read: loadConfig() must not touch the disk, so this path need not exist. */
const DATA_DIR = '/nonexistent/lumina-config-test';
const secret = 'a'.repeat(20) + 'b'.repeat(20);

describe('loadConfig', () => {
  it('with an empty environment gives the embedded default on port 8080 and leaves the secret to start-up', () => {
    const config = loadConfig({ DATA_DIR });
    expect(config.port).toBe(8080);
    expect(config.storage.backend).toBe('embedded');
    expect(config.dataDir).toBe(DATA_DIR);
    expect(config.session.secret).toBeUndefined();
    expect(Object.isFrozen(config.rateLimits.login)).toBe(true);
  });

  it('maps environment keys to the nested config, durations in milliseconds', () => {
    const config = loadConfig({
      DATA_DIR,
      SESSION_IDLE_MINUTES: '2',
      SESSION_ABSOLUTE_HOURS: '3',
      RATE_LIMIT_LOGIN_WINDOW_SECONDS: '4',
      RATE_LIMIT_UPLOAD_MAX: '5',
      IMAGE_FORMAT: 'webp',
    });
    expect(config.session).toEqual({
      secret: undefined,
      cookieName: 'lumina.sid',
      idleMs: 120_000,
      absoluteMs: 10_800_000,
    });
    expect(config.rateLimits.login.windowMs).toBe(4000);
    expect(config.rateLimits.upload.max).toBe(5);
    expect(config.images.format).toBe('webp');
  });

  it('withSessionSecret keeps SESSION_SECRET when set, and otherwise takes the one start-up supplies', () => {
    expect(
      withSessionSecret(loadConfig({ DATA_DIR, SESSION_SECRET: secret }), () => 'unused').session.secret,
    ).toBe(secret);
    const settled = withSessionSecret(loadConfig({ DATA_DIR }), () => 'c'.repeat(64));
    expect(settled.session.secret).toBe('c'.repeat(64));
    expect(Object.isFrozen(settled.session)).toBe(true);
    expect(() => withSessionSecret(loadConfig({ DATA_DIR }), () => 'short')).toThrow(ConfigError);
  });

  it('with several bad keys names every one of them', () => {
    const attempt = () =>
      loadConfig({ DATA_DIR, PORT: 'eighty', BCRYPT_COST: '99', STORAGE_BACKEND: 'mongo' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/PORT[\s\S]*STORAGE_BACKEND|STORAGE_BACKEND[\s\S]*PORT/);
    expect(attempt).toThrow(/BCRYPT_COST/);
  });

  it('refuses a short or well-known session secret, in production and out of it', () => {
    for (const NODE_ENV of ['production', 'development']) {
      for (const bad of ['short', 'keyboard cat', 'changeme']) {
        expect(() => loadConfig({ NODE_ENV, DATA_DIR, SESSION_SECRET: bad })).toThrow(/SESSION_SECRET/);
      }
    }
    expect(
      loadConfig({ NODE_ENV: 'production', DATA_DIR, SESSION_SECRET: 'x'.repeat(40) }).isProduction,
    ).toBe(true);
    // Unset in production is allowed: the first start generates one into DATA_DIR.
    expect(loadConfig({ NODE_ENV: 'production', DATA_DIR }).session.secret).toBeUndefined();
  });

  it('for the aws backend requires the MySQL and S3 settings, naming them', () => {
    expect(() => loadConfig({ DATA_DIR, STORAGE_BACKEND: 'aws' })).toThrow(/MYSQL_HOST[\s\S]*S3_BUCKET/);
    const config = loadConfig({
      DATA_DIR,
      STORAGE_BACKEND: 'aws',
      MYSQL_HOST: 'db',
      MYSQL_USER: 'lumina',
      MYSQL_DATABASE: 'lumina',
      S3_BUCKET: 'photos',
      S3_FORCE_PATH_STYLE: 'true',
    });
    expect(config.storage.backend === 'aws' && config.storage.aws.dynamodb.tables.photos).toBe(
      'lumina_photos',
    );
    expect(config.storage.backend === 'aws' && config.storage.aws.s3.forcePathStyle).toBe(true);
  });

  it('parses TRUST_PROXY as a boolean, a hop count or a list', () => {
    expect(loadConfig({ DATA_DIR, TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ DATA_DIR, TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ DATA_DIR, TRUST_PROXY: 'loopback' }).trustProxy).toBe('loopback');
  });
});

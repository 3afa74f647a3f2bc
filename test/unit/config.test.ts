import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';

const dataDir = () => mkdtempSync(join(tmpdir(), 'lumina-config-'));

describe('loadConfig', () => {
  it('with an empty environment gives the embedded default on port 8080', () => {
    const config = loadConfig({ DATA_DIR: dataDir() });
    expect(config.port).toBe(8080);
    expect(config.storage.backend).toBe('embedded');
    expect(config.session.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.isFrozen(config.rateLimits.login)).toBe(true);
  });

  it('outside production keeps one generated secret per data directory', () => {
    const dir = dataDir();
    expect(loadConfig({ DATA_DIR: dir }).session.secret).toBe(loadConfig({ DATA_DIR: dir }).session.secret);
  });

  it('with several bad keys names every one of them', () => {
    const attempt = () =>
      loadConfig({ DATA_DIR: dataDir(), PORT: 'eighty', BCRYPT_COST: '99', STORAGE_BACKEND: 'mongo' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/PORT[\s\S]*STORAGE_BACKEND|STORAGE_BACKEND[\s\S]*PORT/);
    expect(attempt).toThrow(/BCRYPT_COST/);
  });

  it('in production refuses a missing, short or well-known session secret', () => {
    for (const secret of [undefined, 'short', 'keyboard cat']) {
      const env = {
        NODE_ENV: 'production',
        DATA_DIR: dataDir(),
        ...(secret ? { SESSION_SECRET: secret } : {}),
      };
      expect(() => loadConfig(env)).toThrow(/SESSION_SECRET/);
    }
    expect(
      loadConfig({ NODE_ENV: 'production', DATA_DIR: dataDir(), SESSION_SECRET: 'x'.repeat(40) })
        .isProduction,
    ).toBe(true);
  });

  it('for the aws backend requires the MySQL and S3 settings, naming them', () => {
    expect(() => loadConfig({ DATA_DIR: dataDir(), STORAGE_BACKEND: 'aws' })).toThrow(
      /MYSQL_HOST[\s\S]*S3_BUCKET/,
    );
    const config = loadConfig({
      DATA_DIR: dataDir(),
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
    expect(loadConfig({ DATA_DIR: dataDir(), TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ DATA_DIR: dataDir(), TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ DATA_DIR: dataDir(), TRUST_PROXY: 'loopback' }).trustProxy).toBe('loopback');
  });
});

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import express, { type RequestHandler } from 'express';

/** A hashed name is cached for a year and never revalidated: its content cannot change. */
const HASHED_MAX_AGE = '365d';
/** What public/ serves: its two folders and the icon. */
const ASSET_PATH = /^\/(?:css\/|js\/|favicon\.svg$)/;

export interface Assets {
  /** The URL a page links: `/css/site.css` → `/css/site.3f2a9c1b0d.css` (or itself, unhashed). */
  url: (path: string) => string;
  /** Serves public/ under its prefixes; every other request goes on at once, with no disk access. */
  serve: RequestHandler;
}

/**
 * public/ with content-hashed names, worked out once at start-up (a manifest, no build step):
 * pages link `/css/site.<hash>.css` through `url()` (views call it as `asset()`), answered with
 * a year of immutable caching, so a browser asks again only when the file changed. The plain names
 * keep working, with `oldNameMaxAge` (short) caching, for anything that kept an old link.
 *
 * With `isHashed` false (development, where files change under a running server) pages link
 * the plain names.
 */
export function createAssets(
  root: string,
  { isHashed, oldNameMaxAge }: { isHashed: boolean; oldNameMaxAge: number | string },
): Assets {
  const toHashed = new Map<string, string>();
  const toPlain = new Map<string, string>();
  for (const file of filesUnder(root)) {
    const path = `/${relative(root, file).split(sep).join('/')}`;
    if (!ASSET_PATH.test(path)) continue;
    const hash = createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 10);
    const ext = extname(path);
    const hashed = `${path.slice(0, path.length - ext.length)}.${hash}${ext}`;
    toHashed.set(path, hashed);
    toPlain.set(hashed, path);
  }

  const plain = express.static(root, { maxAge: oldNameMaxAge, index: false });
  const hashed = express.static(root, { maxAge: HASHED_MAX_AGE, immutable: true, index: false });
  const serve: RequestHandler = (req, res, next) => {
    const original = toPlain.get(req.path);
    if (original !== undefined) {
      req.routeLabel = 'static';
      req.url = original;
      return hashed(req, res, next);
    }
    if (!ASSET_PATH.test(req.path)) return next();
    req.routeLabel = 'static';
    return plain(req, res, next);
  };

  return {
    url: (path) => {
      const found = toHashed.get(path);
      if (found === undefined) throw new Error(`asset(): there is no public${path}`);
      return isHashed ? found : path;
    },
    serve,
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : entry.isFile() ? [path] : [];
  });
}

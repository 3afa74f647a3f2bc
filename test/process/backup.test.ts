import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { makeJpeg } from '../support/images';
import { Client, startServer, type ServerProcess } from '../support/server-process';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const SECRET = 'backup-test-secret-0123456789abcdef';
const PASSWORD = 'a long password';

/** `npm run backup|restore -- <dir>` as an operator runs it, against DATA_DIR. */
const script = (command: 'backup' | 'restore', dir: string, dataDir: string) =>
  run(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'backup.ts'), command, dir], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, SESSION_SECRET: SECRET, NODE_ENV: 'test' },
    timeout: 60_000,
  });

async function upload(
  client: Client,
  jpeg: Buffer,
  caption: string,
): Promise<{ status: number; id?: string }> {
  const form = new FormData();
  form.append('caption', caption);
  form.append('photo', new Blob([jpeg], { type: 'image/jpeg' }), 'p.jpg');
  const res = await fetch(`${client.base}/api/photos`, {
    method: 'POST',
    body: form,
    headers: { cookie: client.cookie },
    signal: AbortSignal.timeout(20_000),
  });
  const body = (await res.json()) as { id?: string };
  return { status: res.status, id: body.id };
}

const bytesOf = async (base: string, cookie: string, path: string): Promise<Buffer> => {
  const res = await fetch(base + path, { headers: { cookie } });
  expect(res.status, path).toBe(200);
  return Buffer.from(await res.arrayBuffer());
};

interface Acked {
  at: number;
  kind: 'photo' | 'comment' | 'message' | 'delete';
  id: string;
  photoId?: string;
  from?: number;
  to?: number;
}

describe('npm run backup / restore on the embedded backend', () => {
  const dirs: string[] = [];
  const servers: ServerProcess[] = [];
  const temp = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('a backup taken under a write load restores every user, photo (bytes too), comment and message acknowledged before it began', async () => {
    const dataDir = temp('lumina-backup-site-');
    const site = await startServer({ DATA_DIR: dataDir, SESSION_SECRET: SECRET });
    servers.push(site);

    const people = await Promise.all(
      ['ada', 'ben', 'cy'].map(async (name) => {
        const client = new Client(site.url);
        const username = `${name}${Date.now() % 1e6}`;
        const res = await client.call('POST', '/api/auth/signup', { username, password: PASSWORD });
        expect(res.status).toBe(201);
        return { client, username, id: res.body.id as number };
      }),
    );
    const [ada, ben, cy] = people as [(typeof people)[0], (typeof people)[0], (typeof people)[0]];
    const request = await ada.client.call('POST', '/api/friends/request', { user_id: ben.id });
    expect(
      (
        await ben.client.call('POST', '/api/friends/respond', {
          request_id: request.body.id,
          action: 'accept',
        })
      ).status,
    ).toBe(200);

    // A long-running reader (a report, a slow page) keeps SQLite from checkpointing past it, so
    // everything written from now on lives only in the WAL: copying the database file is not a backup.
    const longReader = new Database(join(dataDir, 'lumina.sqlite'), { readonly: true });
    longReader.exec('BEGIN');
    longReader.prepare('SELECT count(*) FROM users').get();

    const jpeg = await makeJpeg(320, 240);
    const acked: Acked[] = [];
    const photoIds: string[] = [];
    for (const [i, person] of [ada, ben, cy, ada].entries()) {
      const res = await upload(person.client, jpeg, `seed ${i}`);
      expect(res.status).toBe(201);
      photoIds.push(res.id!);
      acked.push({ at: Date.now(), kind: 'photo', id: res.id! });
    }

    // The load: comments, messages, likes, uploads and deletes from three people until told to stop
    // (bounded in count and time). Comments and messages stop early, so each list fits one page.
    let stopping = false;
    const loadDeadline = Date.now() + 60_000;
    const load = people.map(async (person, n) => {
      for (let i = 0; i < 2000 && !stopping && Date.now() < loadDeadline; i++) {
        const photoId = photoIds[i % photoIds.length]!;
        if (i % 7 === 3) {
          const res = await upload(person.client, jpeg, `load ${n}.${i}`);
          if (res.status !== 201) continue;
          photoIds.push(res.id!);
          acked.push({ at: Date.now(), kind: 'photo', id: res.id! });
          if (i % 2 === 1) {
            const del = await person.client.call('DELETE', `/api/photos/${res.id}`);
            if (del.status === 204) acked.push({ at: Date.now(), kind: 'delete', id: res.id! });
          }
        } else if (i >= 60) {
          await person.client.call(i % 2 ? 'DELETE' : 'POST', `/api/photos/${photoIds[0]}/like`);
        } else if (n < 2 && i % 3 === 0) {
          const to = n === 0 ? ben.id : ada.id;
          const res = await person.client.call('POST', '/api/messages', {
            to_user_id: to,
            text: `m ${n}.${i}`,
          });
          if (res.status === 201)
            acked.push({ at: Date.now(), kind: 'message', id: res.body.id, from: person.id, to });
        } else {
          const res = await person.client.call('POST', `/api/photos/${photoId}/comments`, {
            text: `c ${n}.${i}`,
          });
          if (res.status === 201) acked.push({ at: Date.now(), kind: 'comment', id: res.body.id, photoId });
        }
      }
    });

    await new Promise((resolve) => setTimeout(resolve, 1500));
    const backupDir = join(temp('lumina-backup-'), 'copy');
    const startedAt = Date.now();
    const { stdout } = await script('backup', backupDir, dataDir);
    longReader.exec('COMMIT');
    longReader.close();
    expect(stdout).toMatch(/backed up .* photos/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    stopping = true;
    await Promise.all(load);

    const before = acked.filter((a) => a.at < startedAt);
    const deletedBefore = new Set(before.filter((a) => a.kind === 'delete').map((a) => a.id));
    // A photo deleted while the backup ran may or may not be in it.
    const deletedAny = new Set(acked.filter((a) => a.kind === 'delete').map((a) => a.id));
    expect(before.filter((a) => a.kind === 'comment').length).toBeGreaterThan(5);
    expect(before.filter((a) => a.kind === 'message').length).toBeGreaterThan(2);
    expect(acked.filter((a) => a.at > startedAt).length).toBeGreaterThan(0);

    // The original bytes of every photo that must be in the backup, read from the running site.
    const livePhotos = before.filter((a) => a.kind === 'photo' && !deletedAny.has(a.id));
    const originals = new Map<string, [Buffer, Buffer]>();
    for (const { id } of livePhotos) {
      originals.set(id, [
        await bytesOf(site.url, ada.client.cookie, `/api/photos/${id}/image/thumb`),
        await bytesOf(site.url, ada.client.cookie, `/api/photos/${id}/image/full`),
      ]);
    }
    await site.stop();

    const restoredDir = join(temp('lumina-restored-'), 'data');
    await script('restore', backupDir, restoredDir);
    // Restoring over a site is refused and changes nothing.
    await expect(script('restore', backupDir, restoredDir)).rejects.toThrow(/already holds a site/);

    const restored = await startServer({ DATA_DIR: restoredDir, SESSION_SECRET: SECRET });
    servers.push(restored);
    const visitor = new Client(restored.url);
    expect(
      (await visitor.call('POST', '/api/auth/login', { username: ada.username, password: PASSWORD })).status,
    ).toBe(200);
    for (const person of people) {
      expect((await visitor.call('GET', `/api/users/lookup?username=${person.username}`)).body).toMatchObject(
        {
          id: person.id,
        },
      );
    }
    for (const { id } of livePhotos) {
      expect((await visitor.call('GET', `/api/photos/${id}`)).status, `photo ${id}`).toBe(200);
      const [thumb, full] = originals.get(id)!;
      expect(
        (await bytesOf(restored.url, visitor.cookie, `/api/photos/${id}/image/thumb`)).equals(thumb),
      ).toBe(true);
      expect((await bytesOf(restored.url, visitor.cookie, `/api/photos/${id}/image/full`)).equals(full)).toBe(
        true,
      );
    }
    for (const id of deletedBefore) expect((await visitor.call('GET', `/api/photos/${id}`)).status).toBe(404);
    // No photo without its images: every photo the restored site lists serves both.
    let listed = 0;
    for (let before: string | undefined, page = 0; page < 50; page++) {
      const query = before ? `&before=${before}` : '';
      const items = (await visitor.call('GET', `/api/photos?scope=all&limit=100${query}`)).body as {
        id: string;
      }[];
      for (const { id } of items) {
        await bytesOf(restored.url, visitor.cookie, `/api/photos/${id}/image/thumb`);
        await bytesOf(restored.url, visitor.cookie, `/api/photos/${id}/image/full`);
      }
      listed += items.length;
      if (items.length < 100) break;
      before = items.at(-1)!.id;
    }
    expect(listed).toBeGreaterThanOrEqual(livePhotos.length);
    for (const comment of before.filter((a) => a.kind === 'comment' && !deletedAny.has(a.photoId!))) {
      const list = (await visitor.call('GET', `/api/photos/${comment.photoId}/comments?limit=100`)).body as {
        id: string;
      }[];
      expect(
        list.map((c) => c.id),
        `comment ${comment.id}`,
      ).toContain(comment.id);
    }
    const conversation = (await visitor.call('GET', `/api/messages?user_id=${ben.id}`)).body as {
      id: string;
    }[];
    const messageIds = new Set(conversation.map((m) => m.id));
    for (const message of before.filter((a) => a.kind === 'message'))
      expect(messageIds.has(message.id)).toBe(true);
  }, 180_000);
});

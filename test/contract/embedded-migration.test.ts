import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { conversationIdOf } from '../../src/domain/types';
import { createEmbeddedStorage } from '../../src/storage/embedded';
import { migrate } from '../../src/storage/embedded/migrations';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('embedded: migration 12 (account deletion) on a file with data', () => {
  it('keeps every message and inbox entry, and lets a sender be deleted while their messages stay', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lumina-migrate-'));
    dirs.push(dir);
    const db = new Database(join(dir, 'lumina.sqlite'));
    db.pragma('foreign_keys = ON');
    migrate(db, 11);
    const addUser = db.prepare(
      "INSERT INTO users (username, email, password_hash, created_at) VALUES (?, ?, 'x', 0) RETURNING id",
    );
    const ann = (addUser.get('ann', 'ann@x') as { id: number }).id;
    const bob = (addUser.get('bob', 'bob@x') as { id: number }).id;
    const conversation = `CONV#${Math.min(ann, bob)}#${Math.max(ann, bob)}`;
    db.prepare(
      `INSERT INTO messages (conversation_id, id, from_user_id, from_username, to_user_id, to_username, text, created_at)
       VALUES (?, '01JDQ0000000000000000000AA', ?, 'ann', ?, 'bob', 'hello bob', 1)`,
    ).run(conversation, ann, bob);
    const inbox = db.prepare(
      `INSERT INTO inbox (user_id, other_user_id, last_message_id, last_text, last_from_user_id, last_created_at, unread)
       VALUES (?, ?, '01JDQ0000000000000000000AA', 'hello bob', ?, 1, ?)`,
    );
    inbox.run(ann, bob, ann, 0);
    inbox.run(bob, ann, ann, 1);
    db.close();

    const storage = createEmbeddedStorage({ dataDir: dir, timeoutMs: 3000 });
    try {
      const [kept] = await storage.messages.latest(conversationIdOf(ann, bob), 10);
      expect(kept?.text).toBe('hello bob');
      expect(await storage.messages.unreadTotal(bob)).toBe(1);
      expect((await storage.messages.conversations(bob, 10)).map((c) => c.username)).toEqual(['ann']);
      // Ann leaves: her messages and Bob's inbox entry outlive her row (no foreign key holds them).
      expect(await storage.messages.forgetUser(ann, 10)).toBe(1);
      expect(await storage.users.remove(ann)).toBe(true);
      const [entry] = await storage.messages.conversations(bob, 10);
      expect(entry).toMatchObject({ userId: ann, username: '', unread: 1 });
      expect((await storage.messages.latest(conversationIdOf(ann, bob), 10))[0]?.fromUsername).toBe('');
    } finally {
      await storage.close();
    }
  });
});

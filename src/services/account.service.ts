import { createHash } from 'node:crypto';
import { NotFound, Unauthenticated } from '../domain/errors';
import type { Viewer } from '../domain/types';
import type { PasswordHasher, SessionStore, UserStore } from '../ports';

export const messages = {
  wrongPassword: 'That is not your current password.',
  noSuchSession: 'No such session: it may have ended already.',
};

/** One of the person's sessions as their list shows it. `id` is an opaque handle, never the session id. */
export interface SessionView {
  id: string;
  device: string;
  createdAt: Date;
  lastUsedAt: Date;
  isCurrent: boolean;
}

/**
 * A handle for a session that cannot be turned back into the session id (which is the bearer
 * secret of the cookie): the first 128 bits of its SHA-256, base64url.
 */
export const sessionHandleOf = (sid: string): string =>
  createHash('sha256').update(sid).digest('base64url').slice(0, 22);

/** The signed-in person's own account: password and sessions. */
export class AccountService {
  constructor(
    private readonly users: UserStore,
    private readonly sessions: SessionStore,
    private readonly passwords: PasswordHasher,
  ) {}

  /**
   * Checks the current password, stores the new one and ends every session of the person; the
   * caller then starts a fresh session for this device (a new id). Unauthenticated when the
   * current password is wrong (the edge counts those like failed log-ins).
   */
  async changePassword(
    viewer: Viewer,
    input: { currentPassword: string; newPassword: string },
  ): Promise<void> {
    const found = await this.users.findCredentials(viewer.username);
    const matches =
      found?.id === viewer.id && (await this.passwords.verify(input.currentPassword, found.passwordHash));
    if (!matches) throw new Unauthenticated(messages.wrongPassword, 'wrong_password');
    const hash = await this.passwords.hash(input.newPassword);
    if (!(await this.users.setPasswordHash(viewer.id, hash))) throw new Unauthenticated();
    await this.sessions.destroyByUser(viewer.id);
  }

  /** The person's live sessions, most recently used first, `currentSid` marked as this device. */
  async listSessions(viewer: Viewer, currentSid: string): Promise<SessionView[]> {
    const list = await this.sessions.listByUser(viewer.id);
    return list.map((s) => ({
      id: sessionHandleOf(s.sid),
      device: s.device || 'Unknown device',
      createdAt: s.createdAt,
      lastUsedAt: s.lastUsedAt,
      isCurrent: s.sid === currentSid,
    }));
  }

  /** Ends one of the person's sessions by its handle. NotFound when no live session of theirs has it. */
  async endSession(viewer: Viewer, handle: string): Promise<void> {
    const list = await this.sessions.listByUser(viewer.id);
    const target = list.find((s) => sessionHandleOf(s.sid) === handle);
    if (!target) throw new NotFound(messages.noSuchSession, 'session_not_found');
    await this.sessions.destroy(target.sid);
  }

  /** Ends every session of the person but `currentSid`; returns how many ended. */
  endOtherSessions(viewer: Viewer, currentSid: string): Promise<number> {
    return this.sessions.destroyByUser(viewer.id, currentSid);
  }
}

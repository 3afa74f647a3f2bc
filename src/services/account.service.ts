import { createHash } from 'node:crypto';
import { NotFound, Unauthenticated } from '../domain/errors';
import type { Viewer } from '../domain/types';
import type { PasswordHasher, SessionStore, UserStore } from '../ports';
import type { AccountDeletionService } from './account-deletion.service';

export const messages = {
  wrongPassword: 'That is not your current password.',
  wrongDeletePassword: 'That is not your password: the account was not deleted.',
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

/** The signed-in person's own account: password, sessions, and deleting it. */
export class AccountService {
  constructor(
    private readonly users: UserStore,
    private readonly sessions: SessionStore,
    private readonly passwords: PasswordHasher,
    private readonly deletion: AccountDeletionService,
    /** Told of a deletion that failed after the person's answer (the next start or sweep retries it). */
    private readonly onDeletionError: (err: unknown) => void = () => undefined,
  ) {}

  /**
   * Checks the password, marks the account as being deleted (log-in refused, every session
   * ended: the caller's too) and runs the deletion, waiting for it at most `waitMs`. Returns
   * whether it finished in that time (a wait of 0 does not wait: false at once); otherwise it
   * goes on in the background (and, if this process dies, is finished by the next start or the
   * sweep). Unauthenticated, with nothing
   * changed, when the password is wrong (the edge counts those like failed log-ins).
   */
  async deleteAccount(viewer: Viewer, password: string, waitMs: number): Promise<boolean> {
    await this.checkPassword(viewer, password, messages.wrongDeletePassword);
    await this.deletion.start(viewer.id);
    const job = this.deletion.finish(viewer.id).then(() => true);
    job.catch(this.onDeletionError);
    if (waitMs <= 0) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), waitMs);
    });
    try {
      return await Promise.race([job, timeout]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  private async checkPassword(viewer: Viewer, password: string, message: string): Promise<void> {
    const found = await this.users.findCredentials(viewer.username);
    const matches = found?.id === viewer.id && (await this.passwords.verify(password, found.passwordHash));
    if (!matches) throw new Unauthenticated(message, 'wrong_password');
  }

  /**
   * Checks the current password, stores the new one and ends every session of the person; the
   * caller then starts a fresh session for this device (a new id). Unauthenticated when the
   * current password is wrong (the edge counts those like failed log-ins).
   */
  async changePassword(
    viewer: Viewer,
    input: { currentPassword: string; newPassword: string },
  ): Promise<void> {
    await this.checkPassword(viewer, input.currentPassword, messages.wrongPassword);
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

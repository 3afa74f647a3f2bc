import { InvalidInput, NotFound, noSuch } from '../domain/errors';
import type {
  ModerationAction,
  ModerationActionKind,
  ReportGroupView,
  ReportReason,
  ReportSubject,
  ReportTarget,
  ReportTargetType,
  UserId,
  Viewer,
} from '../domain/types';
import type {
  BlobStore,
  BlockStore,
  CommentStore,
  PhotoStore,
  ReportStore,
  SessionStore,
  UserStore,
} from '../ports';
import { removePhoto } from './photo-removal';

export const messages = {
  notFound: 'There is nothing at this address.',
  noSuchComment: 'No such comment.',
  removeUser: 'A person cannot be removed: suspend the account instead.',
  commentNeedsPhoto: 'photo_id: say which photo the comment is on',
};

/** How many report groups and log entries a moderator's page shows. */
const LIST_LIMIT = 200;

export interface ReportInput {
  targetType: ReportTargetType;
  targetId: string;
  /** The photo a reported comment is on. */
  photoId?: string;
  reason: ReportReason;
  text: string;
}

/**
 * Reports from everyone, and what moderators do with them. Every moderation method answers
 * NotFound to anyone who is not a moderator, so the moderation paths do not exist for them.
 */
export class ModerationService {
  constructor(
    private readonly reports: ReportStore,
    private readonly users: UserStore,
    private readonly photos: PhotoStore,
    private readonly comments: CommentStore,
    private readonly blobs: BlobStore,
    private readonly sessions: SessionStore,
    private readonly blocks: BlockStore,
  ) {}

  /** Files a report on an item the reporter can see; the same person and item again: the first report. */
  async report(viewer: Viewer, input: ReportInput): Promise<{ id: number; isNew: boolean }> {
    const target = await this.visibleTarget(viewer, input.targetType, input.targetId, input.photoId);
    return this.reports.add({ reporterId: viewer.id, target, reason: input.reason, text: input.text });
  }

  async isModerator(viewer: Viewer): Promise<boolean> {
    return (await this.users.findById(viewer.id))?.isModerator === true;
  }

  /** The moderator's name and id; NotFound for anyone else (the edge asks first, before reading input). */
  async requireModerator(viewer: Viewer): Promise<{ id: UserId; username: string }> {
    const user = await this.users.findById(viewer.id);
    if (!user?.isModerator) throw new NotFound(messages.notFound, 'page_not_found');
    return user;
  }

  /** The report groups, each with whose the item is and what it says (read beside, per item). */
  async listReports(viewer: Viewer, status: 'open' | 'closed'): Promise<ReportGroupView[]> {
    await this.requireModerator(viewer);
    const groups = await this.reports.listGroups(status, LIST_LIMIT);
    return Promise.all(groups.map(async (g) => ({ ...g, subject: await this.subjectOf(g.target) })));
  }

  private async subjectOf(target: ReportTarget): Promise<ReportSubject> {
    const item =
      target.type === 'user'
        ? null
        : target.type === 'photo'
          ? await this.photos.get(target.id)
          : await this.comments.get(target.parentId ?? '', target.id);
    const authorId = target.type === 'user' ? Number(target.id) : (item?.userId ?? null);
    const author = authorId === null ? null : await this.users.findById(authorId);
    return {
      authorId: author?.id ?? null,
      username: author?.username ?? null,
      isSuspended: author?.state === 'suspended',
      text: item === null ? null : 'caption' in item ? item.caption : item.text,
    };
  }

  async log(viewer: Viewer): Promise<ModerationAction[]> {
    await this.requireModerator(viewer);
    return this.reports.listActions(LIST_LIMIT);
  }

  /**
   * remove: the photo with its likes, comments, terms and images, or the comment; suspend and
   * unsuspend: the person (for a photo or comment, its author), whose sessions end at once;
   * dismiss: nothing but closing the reports. Every action closes the item's open reports (but
   * unsuspend) and is logged.
   */
  async act(
    viewer: Viewer,
    input: { targetType: ReportTargetType; targetId: string; photoId?: string; action: ModerationActionKind },
  ): Promise<ModerationAction> {
    const moderator = await this.requireModerator(viewer);
    const target = await this.existingTarget(input.targetType, input.targetId, input.photoId);
    switch (input.action) {
      case 'remove':
        await this.remove(target);
        break;
      case 'suspend':
      case 'unsuspend': {
        const userId = await this.authorOf(target);
        await this.users.setState(userId, input.action === 'suspend' ? 'suspended' : 'active');
        if (input.action === 'suspend') await this.sessions.destroyByUser(userId);
        break;
      }
      case 'dismiss':
        break;
    }
    if (input.action !== 'unsuspend') await this.reports.close(target);
    return this.reports.logAction({
      moderatorId: moderator.id,
      moderator: moderator.username,
      target,
      action: input.action,
    });
  }

  private async remove(target: ReportTarget): Promise<void> {
    if (target.type === 'user') throw new InvalidInput(messages.removeUser);
    if (target.type === 'comment') {
      if (!(await this.comments.delete(target.parentId ?? '', target.id))) throw noSuch('comment');
      return;
    }
    if (!(await removePhoto({ photos: this.photos, comments: this.comments, blobs: this.blobs }, target.id)))
      throw noSuch('photo');
  }

  private async authorOf(target: ReportTarget): Promise<UserId> {
    if (target.type === 'user') return Number(target.id);
    if (target.type === 'photo') {
      const photo = await this.photos.get(target.id);
      if (!photo) throw noSuch('photo');
      return photo.userId;
    }
    const comment = await this.comments.get(target.parentId ?? '', target.id);
    if (!comment) throw noSuch('comment');
    return comment.userId;
  }

  /** The target as a moderator names it: it must exist (a suspended person's items included). */
  private async existingTarget(type: ReportTargetType, id: string, photoId?: string): Promise<ReportTarget> {
    switch (type) {
      case 'user': {
        if (!(await this.users.findById(Number(id)))) throw noSuch('user');
        return { type, id, parentId: null };
      }
      case 'photo': {
        if (!(await this.photos.get(id))) throw noSuch('photo');
        return { type, id, parentId: null };
      }
      case 'comment': {
        if (!photoId) throw new InvalidInput(messages.commentNeedsPhoto);
        if (!(await this.comments.get(photoId, id))) throw noSuch('comment');
        return { type, id, parentId: photoId };
      }
    }
  }

  /** The target as a reporter names it: it must exist and be visible to them (blocks, suspensions). */
  private async visibleTarget(
    viewer: Viewer,
    type: ReportTargetType,
    id: string,
    photoId?: string,
  ): Promise<ReportTarget> {
    const target = await this.existingTarget(type, id, photoId);
    const owner = await this.authorOf(target);
    if (owner !== viewer.id && (await this.blocks.between(viewer.id, owner))) {
      throw type === 'user' ? noSuch('user') : type === 'photo' ? noSuch('photo') : noSuch('comment');
    }
    return target;
  }
}

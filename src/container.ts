import { BcryptPasswords } from './adapters/bcrypt-passwords';
import { SharpImages } from './adapters/sharp-images';
import type { Config } from './config';
import type { Logger } from './lib/logger';
import type { ImageProcessor, PasswordHasher, Storage, StoreCallListener } from './ports';
import { counterKeysOf } from './http/middleware/rate-limit';
import { AccountDeletionService } from './services/account-deletion.service';
import { AccountService } from './services/account.service';
import { ActivityService } from './services/activity.service';
import { BadgeService } from './services/badge.service';
import { AuthService } from './services/auth.service';
import { BlockService } from './services/block.service';
import { ModerationService } from './services/moderation.service';
import { CommentService } from './services/comment.service';
import { ExportService } from './services/export.service';
import { FriendService } from './services/friend.service';
import { HealthService } from './services/health.service';
import { MessageService } from './services/message.service';
import { PhotoService } from './services/photo.service';
import { ProfileService } from './services/profile.service';
import { SweepService } from './services/sweep.service';
import { UserService } from './services/user.service';
import { createStorage } from './storage';

export interface Services {
  auth: AuthService;
  account: AccountService;
  exports: ExportService;
  deletion: AccountDeletionService;
  profiles: ProfileService;
  blocks: BlockService;
  moderation: ModerationService;
  users: UserService;
  photos: PhotoService;
  activity: ActivityService;
  badges: BadgeService;
  comments: CommentService;
  friends: FriendService;
  messages: MessageService;
  health: HealthService;
  sweep: SweepService;
}

export interface Container {
  config: Config;
  logger: Logger;
  storage: Storage;
  services: Services;
  /** The image processor the photo service uses (its queue depth goes to /metrics). */
  images: ImageProcessor;
  close(): Promise<void>;
}

export interface ContainerOverrides {
  storage?: Storage;
  /** Told of every backend call of the storage made here (ports.ts StoreCall). */
  onStoreCall?: StoreCallListener;
  images?: ImageProcessor;
  passwords?: PasswordHasher;
}

/** Composition root: the chosen backend, the adapters and the services wired together. */
export async function createContainer(
  config: Config,
  logger: Logger,
  overrides: ContainerOverrides = {},
): Promise<Container> {
  const storage = overrides.storage ?? (await createStorage(config, { onCall: overrides.onStoreCall }));
  const images =
    overrides.images ??
    new SharpImages({
      maxPixels: config.images.maxPixels,
      maxSide: config.images.maxSide,
      concurrency: config.images.concurrency,
    });
  const passwords = overrides.passwords ?? new BcryptPasswords(config.bcryptCost);
  const { users, friends, photos, comments, messages, blobs, blocks } = storage;

  const activity = new ActivityService(storage.activity, users, blocks);
  const deletion = new AccountDeletionService(storage, counterKeysOf);
  const services: Services = {
    auth: new AuthService(users, passwords),
    account: new AccountService(users, storage.sessions, passwords, deletion, (err) =>
      logger.warn({ err }, 'account deletion stopped; the next start or sweep finishes it'),
    ),
    exports: new ExportService(users, photos, comments, friends, messages, blobs),
    deletion,
    profiles: new ProfileService(users, photos, friends, blobs, images, blocks),
    blocks: new BlockService(blocks, friends, users, storage.messages, storage.activity),
    moderation: new ModerationService(
      storage.reports,
      users,
      photos,
      comments,
      blobs,
      storage.sessions,
      blocks,
    ),
    users: new UserService(users, blocks),
    photos: new PhotoService(photos, comments, blobs, images, friends, users, blocks, activity),
    comments: new CommentService(comments, photos, blocks, activity),
    friends: new FriendService(friends, users, blocks, activity),
    activity,
    badges: new BadgeService(storage.badges, friends),
    messages: new MessageService(messages, friends, users, blocks),
    health: new HealthService(storage.health),
    sweep: new SweepService(photos, comments, blobs),
  };
  return { config, logger, storage, services, images, close: () => storage.close() };
}

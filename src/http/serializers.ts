import { z } from 'zod';
import type { SessionView } from '../services/account.service';
import type { Profile } from '../services/profile.service';
import type {
  AvatarSize,
  Block,
  ModerationAction,
  ReportGroup,
  Comment,
  Conversation,
  Friend,
  FriendRequest,
  Message,
  PhotoView,
  User,
} from '../domain/types';
import { ULID_PATTERN } from '../lib/ulid';
import type { LikedPhoto } from '../ports';
import { filterOf, type ActivityGroup } from '../services/activity.service';
import type { Badges } from '../services/badge.service';

/**
 * Domain objects to API JSON: the snake_case field names of API.md live here and nowhere else.
 *
 * Each answer has a zod schema beside its serializer, and the serializer's return type is that
 * schema's type, so a field added to one and not the other fails the type check. The schemas are
 * what the OpenAPI document shows (http/openapi.ts) and what the HTTP tests check every answer
 * against.
 */

const userIdJson = z.number().int().positive();
const ulidJson = z.string().regex(ULID_PATTERN);
/** Milliseconds since the epoch. */
const timestampJson = z.number().int().meta({ description: 'Milliseconds since the epoch.' });
const dateTimeJson = z.iso.datetime();
const urlPath = z.string().meta({ description: 'A URL on this server the browser can load.' });

/** Every /api error, whatever the status: exactly these two fields. */
export const errorJson = z.object({
  message: z.string().meta({ description: 'A sentence for people; it names the field at fault.' }),
  code: z.string().meta({ description: 'A machine code, such as invalid_input or photo_not_found.' }),
});

export const imageUrl = (photoId: string, size: 'thumb' | 'medium' | 'full') =>
  `/api/photos/${photoId}/image/${size}`;

/**
 * `/api/users/:id/avatar/:size`, or null without an avatar. The avatar's id rides along as `v`, so
 * a new picture is a new URL and the old one may be cached for good.
 */
export const avatarUrl = (u: Pick<User, 'id' | 'avatarId'>, size: AvatarSize = 'small'): string | null =>
  u.avatarId ? `/api/users/${u.id}/avatar/${size}?v=${u.avatarId}` : null;

const avatarJson = urlPath.nullable().meta({ description: 'The small (64 px) picture; null without one.' });

/** A person, wherever one is returned. */
export const userJson = z.object({
  id: userIdJson,
  username: z.string(),
  avatar: avatarJson,
  bio: z.string(),
});
export const toUserJson = (u: User): z.infer<typeof userJson> => ({
  id: u.id,
  username: u.username,
  avatar: avatarUrl(u),
  bio: u.bio,
});

export const meJson = z.object({
  id: userIdJson,
  username: z.string(),
  email: z.string(),
  created_at: dateTimeJson,
  avatar: avatarJson,
  bio: z.string(),
});
export const toMeJson = (u: User): z.infer<typeof meJson> => ({
  id: u.id,
  username: u.username,
  email: u.email,
  created_at: u.createdAt.toISOString(),
  avatar: avatarUrl(u),
  bio: u.bio,
});

/** GET /api/users/:id: the person, their counts, and how the viewer stands with them. */
export const profileJson = userJson.extend({
  avatar_large: urlPath.nullable().meta({ description: 'The large (320 px) picture; null without one.' }),
  created_at: dateTimeJson,
  photo_count: z.number().int().nonnegative(),
  friend_count: z.number().int().nonnegative(),
  relation: z.enum(['self', 'friends', 'request_sent', 'request_received', 'none']),
});
export const toProfileJson = (p: Profile): z.infer<typeof profileJson> => ({
  ...toUserJson(p.user),
  avatar_large: avatarUrl(p.user, 'large'),
  created_at: p.user.createdAt.toISOString(),
  photo_count: p.photoCount,
  friend_count: p.friendCount,
  relation: p.relation,
});

export const photoJson = z.object({
  id: ulidJson,
  user_id: userIdJson,
  username: z.string(),
  topic: z.string().nullable(),
  caption: z.string(),
  alt: z.string().nullable().meta({ description: 'Alt text; null when none was given.' }),
  timestamp: timestampJson,
  created_at: dateTimeJson,
  edited_at: dateTimeJson.nullable().meta({ description: 'When caption, topic or alt last changed.' }),
  likes: z.number().int().nonnegative(),
  liked_by_me: z.boolean(),
  comment_count: z.number().int().nonnegative(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  thumbnail: urlPath,
  medium: urlPath,
  fullRes: urlPath,
});
export const toPhotoJson = (p: PhotoView): z.infer<typeof photoJson> => ({
  id: p.id,
  user_id: p.userId,
  username: p.username,
  topic: p.topic,
  caption: p.caption,
  alt: p.alt,
  timestamp: p.createdAt.getTime(),
  created_at: p.createdAt.toISOString(),
  edited_at: p.editedAt?.toISOString() ?? null,
  likes: p.likes,
  liked_by_me: p.likedByMe,
  comment_count: p.commentCount,
  width: p.width,
  height: p.height,
  thumbnail: imageUrl(p.id, 'thumb'),
  medium: imageUrl(p.id, 'medium'),
  fullRes: imageUrl(p.id, 'full'),
});

/** What PhotoService.like and unlike return, sent as it is. */
export const likeResultJson = z.object({ likes: z.number().int().nonnegative(), liked: z.boolean() });

export const commentJson = z.object({
  id: ulidJson,
  photo_id: ulidJson,
  user_id: userIdJson,
  username: z.string(),
  text: z.string(),
  timestamp: timestampJson,
  created_at: dateTimeJson,
});
export const toCommentJson = (c: Comment): z.infer<typeof commentJson> => ({
  id: c.id,
  photo_id: c.photoId,
  user_id: c.userId,
  username: c.username,
  text: c.text,
  timestamp: c.createdAt.getTime(),
  created_at: c.createdAt.toISOString(),
});

/** One of a person's likes, in their download (likes.json). */
export const likedPhotoJson = z.object({ photo_id: ulidJson, liked_at: dateTimeJson });
export const toLikedPhotoJson = (l: LikedPhoto): z.infer<typeof likedPhotoJson> => ({
  photo_id: l.photoId,
  liked_at: l.likedAt.toISOString(),
});

export const friendRequestJson = z.object({
  id: userIdJson,
  requester_id: userIdJson,
  requester_username: z.string(),
  receiver_id: userIdJson,
  receiver_username: z.string(),
  status: z.enum(['pending', 'accepted']),
  created_at: dateTimeJson,
});
export const toFriendRequestJson = (r: FriendRequest): z.infer<typeof friendRequestJson> => ({
  id: r.id,
  requester_id: r.requesterId,
  requester_username: r.requesterUsername,
  receiver_id: r.receiverId,
  receiver_username: r.receiverUsername,
  status: r.status,
  created_at: r.createdAt.toISOString(),
});

/** POST /api/friends/request: `accepted` when the other person had already asked. */
export const friendRequestCreatedJson = z.object({
  id: userIdJson,
  status: z.enum(['pending', 'accepted']),
});
/** POST /api/friends/respond. */
export const respondResultJson = z.object({ id: userIdJson, status: z.enum(['accepted', 'declined']) });

export const friendJson = z.object({ id: userIdJson, username: z.string(), since: dateTimeJson });
export const toFriendJson = (f: Friend): z.infer<typeof friendJson> => ({
  id: f.id,
  username: f.username,
  since: f.since.toISOString(),
});

export const messageJson = z.object({
  id: ulidJson,
  conversation_id: z
    .string()
    .regex(/^CONV#\d+#\d+$/)
    .meta({
      description: '`CONV#<smaller user id>#<larger user id>`.',
    }),
  from_user_id: userIdJson,
  from_username: z.string().nullable().meta({ description: 'null once the sender deleted the account.' }),
  to_user_id: userIdJson,
  text: z.string(),
  timestamp: timestampJson,
  created_at: dateTimeJson,
});
export const toMessageJson = (m: Message): z.infer<typeof messageJson> => ({
  id: m.id,
  conversation_id: `CONV#${m.conversationId.low}#${m.conversationId.high}`,
  from_user_id: m.fromUserId,
  // A deleted account's name is gone from its messages (MessageStore.forgetUser).
  from_username: m.fromUsername === '' ? null : m.fromUsername,
  to_user_id: m.toUserId,
  text: m.text,
  timestamp: m.createdAt.getTime(),
  created_at: m.createdAt.toISOString(),
});

export const conversationJson = z.object({
  user_id: userIdJson,
  username: z.string().nullable().meta({ description: 'null once the other person deleted the account.' }),
  last_message: z.object({
    id: ulidJson,
    text: z.string(),
    from_user_id: userIdJson,
    timestamp: timestampJson,
    created_at: dateTimeJson,
  }),
  unread: z.number().int().nonnegative(),
});
export const toConversationJson = (c: Conversation): z.infer<typeof conversationJson> => ({
  user_id: c.userId,
  username: c.username === '' ? null : c.username,
  last_message: {
    id: c.lastMessage.id,
    text: c.lastMessage.text,
    from_user_id: c.lastMessage.fromUserId,
    timestamp: c.lastMessage.createdAt.getTime(),
    created_at: c.lastMessage.createdAt.toISOString(),
  },
  unread: c.unread,
});

/** GET /api/auth/sessions: `id` is an opaque handle, never the session id itself. */
export const sessionJson = z.object({
  id: z.string(),
  device: z.string(),
  created_at: dateTimeJson,
  last_used_at: dateTimeJson,
  current: z.boolean(),
});
export const toSessionJson = (s: SessionView): z.infer<typeof sessionJson> => ({
  id: s.id,
  device: s.device,
  created_at: s.createdAt.toISOString(),
  last_used_at: s.lastUsedAt.toISOString(),
  current: s.isCurrent,
});

/** GET /healthz. */
export const healthJson = z.object({ status: z.literal('ok') });

/** GET /readyz: every store by name; `message` and `unavailable` only when one does not answer. */
export const readinessJson = z.object({
  status: z.enum(['ready', 'unavailable']),
  message: z.string().optional(),
  unavailable: z.array(z.string()).optional(),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean() })),
});

export const blockJson = z.object({ user_id: userIdJson, username: z.string(), created_at: dateTimeJson });
export const toBlockJson = (b: Block): z.infer<typeof blockJson> => ({
  user_id: b.userId,
  username: b.username,
  created_at: b.createdAt.toISOString(),
});

/** GET /api/activity: one line per photo, kind and day. */
export const activityJson = z.object({
  id: ulidJson.meta({ description: 'The newest event of the line.' }),
  kind: z.enum(['like', 'comment', 'mention', 'friend_request', 'friend_accept']),
  actors: z
    .array(userJson)
    .max(3)
    .meta({ description: 'The newest (at most three) people behind the line.' }),
  actor_count: z.number().int().positive(),
  photo: z.object({ id: ulidJson, thumbnail: urlPath }).nullable(),
  text: z
    .string()
    .meta({ description: 'The sentence people read: "ada, ben and 3 others liked your photo."' }),
  created_at: dateTimeJson,
  read: z.boolean(),
});
export const toActivityJson = (g: ActivityGroup): z.infer<typeof activityJson> => ({
  id: g.id,
  kind: filterOf(g.kind),
  actors: g.actors.map(toUserJson),
  actor_count: g.actorCount,
  photo: g.photoId ? { id: g.photoId, thumbnail: imageUrl(g.photoId, 'thumb') } : null,
  text: g.text,
  created_at: g.createdAt.toISOString(),
  read: g.isRead,
});

/** GET /api/badges: what the navigation shows. */
export const badgesJson = z.object({
  requests: z.number().int().nonnegative().meta({ description: 'Pending incoming friend requests.' }),
  messages: z.number().int().nonnegative().meta({ description: 'Unread messages.' }),
  activity: z
    .number()
    .int()
    .nonnegative()
    .meta({ description: 'Unread activity events, counted up to 100.' }),
});

export const toBadgesJson = (b: Badges): z.infer<typeof badgesJson> => ({
  requests: b.requests,
  messages: b.messages,
  activity: b.activity,
});

const reportTargetType = z.enum(['photo', 'comment', 'user']);
const reasonCounts = z.object({
  spam: z.number().int().optional(),
  harassment: z.number().int().optional(),
  nudity: z.number().int().optional(),
  violence: z.number().int().optional(),
  other: z.number().int().optional(),
});

export const reportGroupJson = z.object({
  target_type: reportTargetType,
  target_id: z.string(),
  photo_id: z.string().nullable(),
  reasons: reasonCounts,
  texts: z.array(z.string()),
  reports: z.number().int(),
  first_at: dateTimeJson,
  last_at: dateTimeJson,
});
export const toReportGroupJson = (g: ReportGroup): z.infer<typeof reportGroupJson> => ({
  target_type: g.target.type,
  target_id: g.target.id,
  photo_id: g.target.parentId,
  reasons: g.reasons,
  texts: g.texts,
  reports: g.reports,
  first_at: g.firstAt.toISOString(),
  last_at: g.lastAt.toISOString(),
});

export const moderationActionJson = z.object({
  id: z.number().int(),
  moderator: z.string(),
  moderator_id: userIdJson,
  action: z.enum(['remove', 'suspend', 'unsuspend', 'dismiss']),
  target_type: reportTargetType,
  target_id: z.string(),
  photo_id: z.string().nullable(),
  created_at: dateTimeJson,
});
export const toModerationActionJson = (a: ModerationAction): z.infer<typeof moderationActionJson> => ({
  id: a.id,
  moderator: a.moderator,
  moderator_id: a.moderatorId,
  action: a.action,
  target_type: a.target.type,
  target_id: a.target.id,
  photo_id: a.target.parentId,
  created_at: a.createdAt.toISOString(),
});

export const reportCreatedJson = z.object({ id: z.number().int() });

import type { SessionView } from '../services/account.service';
import type { Profile } from '../services/profile.service';
import type {
  AvatarSize,
  Comment,
  Conversation,
  Friend,
  FriendRequest,
  Message,
  PhotoView,
  User,
} from '../domain/types';

/** Domain objects to API JSON: the snake_case field names of API.md live here and nowhere else. */

export const imageUrl = (photoId: string, size: 'thumb' | 'medium' | 'full') =>
  `/api/photos/${photoId}/image/${size}`;

/**
 * `/api/users/:id/avatar/:size`, or null without an avatar. The avatar's id rides along as `v`, so
 * a new picture is a new URL and the old one may be cached for good.
 */
export const avatarUrl = (u: Pick<User, 'id' | 'avatarId'>, size: AvatarSize = 'small'): string | null =>
  u.avatarId ? `/api/users/${u.id}/avatar/${size}?v=${u.avatarId}` : null;

export const toUserJson = (u: User) => ({ id: u.id, username: u.username, avatar: avatarUrl(u), bio: u.bio });

export const toMeJson = (u: User) => ({
  id: u.id,
  username: u.username,
  email: u.email,
  created_at: u.createdAt.toISOString(),
  avatar: avatarUrl(u),
  bio: u.bio,
});

export const toProfileJson = (p: Profile) => ({
  ...toUserJson(p.user),
  avatar_large: avatarUrl(p.user, 'large'),
  created_at: p.user.createdAt.toISOString(),
  photo_count: p.photoCount,
  friend_count: p.friendCount,
  relation: p.relation,
});

export const toPhotoJson = (p: PhotoView) => ({
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

export const toCommentJson = (c: Comment) => ({
  id: c.id,
  photo_id: c.photoId,
  user_id: c.userId,
  username: c.username,
  text: c.text,
  timestamp: c.createdAt.getTime(),
  created_at: c.createdAt.toISOString(),
});

export const toFriendRequestJson = (r: FriendRequest) => ({
  id: r.id,
  requester_id: r.requesterId,
  requester_username: r.requesterUsername,
  receiver_id: r.receiverId,
  receiver_username: r.receiverUsername,
  status: r.status,
  created_at: r.createdAt.toISOString(),
});

export const toFriendJson = (f: Friend) => ({ id: f.id, username: f.username, since: f.since.toISOString() });

export const toMessageJson = (m: Message) => ({
  id: m.id,
  conversation_id: m.conversationId,
  from_user_id: m.fromUserId,
  from_username: m.fromUsername,
  to_user_id: m.toUserId,
  text: m.text,
  timestamp: m.createdAt.getTime(),
  created_at: m.createdAt.toISOString(),
});

export const toConversationJson = (c: Conversation) => ({
  user_id: c.userId,
  username: c.username,
  last_message: {
    id: c.lastMessage.id,
    text: c.lastMessage.text,
    from_user_id: c.lastMessage.fromUserId,
    timestamp: c.lastMessage.createdAt.getTime(),
    created_at: c.lastMessage.createdAt.toISOString(),
  },
  unread: c.unread,
});

export const toSessionJson = (s: SessionView) => ({
  id: s.id,
  device: s.device,
  created_at: s.createdAt.toISOString(),
  last_used_at: s.lastUsedAt.toISOString(),
  current: s.isCurrent,
});

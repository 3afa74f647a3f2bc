import { Router, type Request, type Response } from 'express';
import type { Config } from '../../config';
import type { Services } from '../../container';
import {
  MAX_ALT_LENGTH,
  MAX_CAPTION_LENGTH,
  MAX_COMMENT_LENGTH,
  MAX_TOPIC_LENGTH,
} from '../../domain/limits';
import { commentsQuery, commentText, likersQuery, parse, photoEdit } from '../../domain/schemas';
import { MAX_MENTIONS, mentionsOf, textParts } from '../../domain/text';
import type { Viewer } from '../../domain/types';
import { formatBytes } from '../../lib/bytes';
import type { HttpError } from '../errors';
import { requirePageUser, viewer } from '../middleware/auth';
import { formBody } from '../middleware/body';
import { keptRequestKeyOf, newRequestKey, requestKeyOf } from '../request-key';
import type { RateLimits } from '../middleware/rate-limit';
import { photoUpload, uploadInputOf } from '../middleware/upload';
import { formRoute, localPath, requireFormUser, setFlash, showBadges, typed, withOwnBadges } from './support';
import { commentIdOf, photoIdOf } from '../path-ids';

const ACCEPTED_TYPES =
  'image/jpeg,image/png,image/webp,image/gif,image/avif,image/heic,image/heif,.heic,.heif';

/** Photos' likers listed per page on /photos/:id/likes. */
const LIKERS_PAGE = 50;

/** Where a form asked to return to (a local path), or `fallback`. */
const backTo = (req: Request, fallback: string): string =>
  localPath(typed(req, 'back', 300) || fallback, fallback);

/** The services the photo page reads. */
type PhotoPageServices = Pick<Services, 'photos' | 'comments' | 'users' | 'blocks' | 'badges'>;

/**
 * The photo page: the photo, a page of comments (oldest first), what the viewer may delete or
 * edit, and the navigation's badges (read with the photo, so the page is mounted before navBadges).
 */
function photoRenderer({ photos, comments, users, blocks, badges }: PhotoPageServices) {
  return async function renderPhoto(
    req: Request,
    res: Response,
    id: string,
    form: { text: string; error: string | null; requestKey?: string } = { text: '', error: null },
    edit: { error: string } | null = null,
  ): Promise<void> {
    const me: Viewer = viewer(req);
    // The latest page of comments, or with ?before= an earlier one (links work without scripts).
    const page = parse(commentsQuery, req.method === 'GET' ? req.query : {});
    // Who is hidden from the viewer, read once for the photo's check, its comments and mentions.
    const hidden = blocks.hiddenFrom(me);
    // The photo, the viewer's like and their unread counts come in one store call.
    const read = photos.getWithUnread(me, id, hidden);
    const shown = read.then((r) => r.photo);
    const unread = read.then((r) => r.unread);
    const [photo, { items: list, next }, navigation] = await Promise.all([
      shown,
      comments.list(me, id, page, { photo: shown, hidden }),
      badges.of(me, unread),
    ]);
    showBadges(res, navigation);
    const isOwner = photo.userId === me.id;
    const mentioned = [photo.caption, ...list.map((c) => c.text)].flatMap(mentionsOf);
    const known = await users.existing(me, mentioned, MAX_MENTIONS, hidden);
    const parts = (text: string) => textParts(text, (name) => known.has(name));
    res.render('photo', {
      title: photo.caption ? photo.caption.slice(0, 60) : `Photo by ${photo.username}`,
      photo,
      isOwner,
      captionParts: parts(photo.caption),
      comments: list.map((c) => ({ ...c, parts: parts(c.text), canDelete: isOwner || c.userId === me.id })),
      commentsEarlier: next ? `/photos/${photo.id}?before=${next}#comments` : null,
      isLatestComments: page.before === undefined,
      commentText: form.text,
      commentRequestKey: form.requestKey ?? newRequestKey(),
      commentError: form.error,
      maxComment: MAX_COMMENT_LENGTH,
      edit: edit
        ? {
            isOpen: true,
            error: edit.error,
            caption: typed(req, 'caption', MAX_CAPTION_LENGTH + 100),
            topic: typed(req, 'topic', MAX_TOPIC_LENGTH + 100),
            alt: typed(req, 'alt', MAX_ALT_LENGTH + 100),
          }
        : {
            isOpen: false,
            error: null,
            caption: photo.caption,
            topic: photo.topic ?? '',
            alt: photo.alt ?? '',
          },
      maxCaption: MAX_CAPTION_LENGTH,
      maxTopic: MAX_TOPIC_LENGTH,
      maxAlt: MAX_ALT_LENGTH,
    });
  };
}

/** GET /photos/:id, on its own: pageRouter mounts it before the badges every other page reads. */
export function photoPage(services: PhotoPageServices): Router {
  const pages = Router();
  const renderPhoto = photoRenderer(services);
  pages.get('/photos/:id', requirePageUser, async (req, res) => {
    await withOwnBadges(res, services.badges, viewer(req), () => renderPhoto(req, res, photoIdOf(req)));
  });
  return pages;
}

export function photosPages(
  services: PhotoPageServices,
  config: Pick<Config, 'images'>,
  limits: RateLimits,
): Router {
  const pages = Router();
  const { photos, comments } = services;
  const maxBytes = config.images.maxUploadBytes;
  const renderPhoto = photoRenderer(services);

  const uploadModel = (req: Request, error: string | null, fileNote: string | null = null) => ({
    title: 'Upload a photo',
    // Kept when the form comes back with an error: sending it again is a retry of the same upload.
    requestKey: keptRequestKeyOf(req).requestKey ?? newRequestKey(),
    caption: typed(req, 'caption', MAX_CAPTION_LENGTH + 100),
    topic: typed(req, 'topic', MAX_TOPIC_LENGTH + 100),
    alt: typed(req, 'alt', MAX_ALT_LENGTH + 100),
    maxAlt: MAX_ALT_LENGTH,
    error,
    fileNote,
    maxBytes,
    maxSize: formatBytes(maxBytes),
    maxCaption: MAX_CAPTION_LENGTH,
    maxTopic: MAX_TOPIC_LENGTH,
    accept: ACCEPTED_TYPES,
  });

  pages.get('/upload', requirePageUser, (req, res) => {
    res.render('upload', uploadModel(req, null));
  });

  /** Under a refused upload's reason: what was sent (the file, or the size of a body too large). */
  const fileNoteOf = (req: Request, e: HttpError): string | null => {
    if (req.file) {
      const type = req.file.mimetype || 'unknown type';
      return `The file you sent, ${req.file.originalname}, is ${formatBytes(req.file.size)} (${type}).`;
    }
    const sent = Number(req.get('content-length'));
    return e.code === 'file_too_large' && sent > 0 ? `Your upload was about ${formatBytes(sent)}.` : null;
  };
  pages.post(
    '/upload',
    requireFormUser,
    limits.upload,
    photoUpload(maxBytes),
    ...formRoute({
      act: async (req) => {
        const photo = await photos.upload(viewer(req), uploadInputOf(req, config.images.format));
        return `/photos/${photo.id}`;
      },
      // A refused file or field: the form again, with the reason, the limit and what was sent.
      show: (req, res, e) => {
        res.render('upload', uploadModel(req, e.message, fileNoteOf(req, e)));
      },
    }),
  );

  // A like refused (too many) is a notice by the button; a photo that is gone, its page says so.
  for (const action of ['like', 'unlike'] as const) {
    pages.post(
      `/photos/:id/${action}`,
      requireFormUser,
      formBody,
      limits.like,
      ...formRoute({
        act: async (req) => {
          const id = photoIdOf(req);
          await photos[action](viewer(req), id);
          // A feed post's form sends `back`, its place in the feed; the photo page's sends none.
          return backTo(req, `/photos/${id}#like-form`);
        },
        back: (req) => `/photos/${photoIdOf(req)}#like-form`,
      }),
    );
  }

  // Who liked the photo, newest first, a page at a time ("Older" without JavaScript).
  pages.get('/photos/:id/likes', requirePageUser, async (req, res) => {
    const id = photoIdOf(req);
    const { before } = parse(likersQuery, req.query);
    const [photo, page] = await Promise.all([
      photos.get(viewer(req), id),
      photos.likers(viewer(req), id, { limit: LIKERS_PAGE, ...(before ? { before } : {}) }),
    ]);
    res.render('likes', {
      title: `Likes of ${photo.username}’s photo`,
      photo,
      likers: page.items,
      nextUrl: page.next ? `/photos/${id}/likes?before=${encodeURIComponent(page.next)}` : null,
    });
  });

  // The photo large, on its own: close goes back to the photo, arrows to the owner's next ones.
  pages.get('/photos/:id/view', requirePageUser, async (req, res) => {
    const id = photoIdOf(req);
    const view = await photos.viewer(viewer(req), id);
    res.render('viewer', { title: `Photo by ${view.photo.username}`, ...view });
  });

  // A refused comment shows on the photo page again; if the photo is gone, showing it says so.
  pages.post(
    '/photos/:id/comments',
    requireFormUser,
    formBody,
    limits.comment,
    ...formRoute({
      act: async (req) => {
        const id = photoIdOf(req);
        const { text } = parse(commentText, req.body);
        const added = await comments.add(viewer(req), id, text, requestKeyOf(req));
        return backTo(req, `/photos/${id}#comment-${added.id}`);
      },
      show: (req, res, e) =>
        renderPhoto(req, res, photoIdOf(req), {
          text: typed(req, 'text', MAX_COMMENT_LENGTH + 100),
          error: e.message,
          ...keptRequestKeyOf(req),
        }),
    }),
  );

  pages.post(
    '/photos/:id/comments/:commentId/delete',
    requireFormUser,
    ...formRoute({
      act: async (req) => {
        const id = photoIdOf(req);
        await comments.delete(viewer(req), id, commentIdOf(req));
        setFlash(req, 'ok', 'Comment deleted.');
        return `/photos/${id}#comments`;
      },
      back: (req) => `/photos/${photoIdOf(req)}#comments`,
    }),
  );

  // A refused edit shows the form again, open, with the reason; a photo that is gone, the error page.
  pages.post(
    '/photos/:id/edit',
    requireFormUser,
    formBody,
    ...formRoute({
      act: async (req) => {
        const id = photoIdOf(req);
        // A form sends every field; an empty topic or alt clears it.
        await photos.edit(viewer(req), id, parse(photoEdit, req.body));
        setFlash(req, 'ok', 'Your changes are saved.');
        return `/photos/${id}`;
      },
      show: (req, res, e) => renderPhoto(req, res, photoIdOf(req), undefined, { error: e.message }),
    }),
  );

  // Not the owner: said on the photo. A photo that is gone: its page, the error page, says so.
  pages.post(
    '/photos/:id/delete',
    requireFormUser,
    ...formRoute({
      act: async (req) => {
        const me = viewer(req);
        await photos.delete(me, photoIdOf(req));
        setFlash(req, 'ok', 'Photo deleted.');
        return `/users/${encodeURIComponent(me.username)}`;
      },
      back: (req) => `/photos/${photoIdOf(req)}`,
    }),
  );

  return pages;
}

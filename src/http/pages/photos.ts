import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { MulterError } from 'multer';
import type { Container } from '../../container';
import { AppError, InvalidInput, NotFound, RateLimited } from '../../domain/errors';
import { MAX_CAPTION_LENGTH, MAX_COMMENT_LENGTH, MAX_TOPIC_LENGTH } from '../../domain/limits';
import { commentId, commentText, parse, photoId, uploadFields } from '../../domain/schemas';
import type { Comment, Viewer } from '../../domain/types';
import { messages as photoMessages } from '../../services/photo.service';
import { toHttpError } from '../errors';
import { requirePageUser, viewer } from '../middleware/auth';
import type { RateLimits } from '../middleware/rate-limit';
import { photoUpload } from '../middleware/upload';
import { flashFailure, formBody, recoverable, requireFormUser, setFlash, typed } from './support';

const ACCEPTED_TYPES = 'image/jpeg,image/png,image/webp,image/gif,image/avif';

const formatBytes = (bytes: number): string =>
  bytes < 1024 * 1024
    ? `${Math.max(1, Math.round(bytes / 1024))} KB`
    : `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MB`;

export function photosPages({ services, config }: Container, limits: RateLimits): Router {
  const pages = Router();
  const { photos, comments } = services;
  const maxBytes = config.images.maxUploadBytes;

  const uploadModel = (req: Request, error: string | null, fileNote: string | null = null) => ({
    title: 'Upload a photo',
    caption: typed(req, 'caption', MAX_CAPTION_LENGTH + 100),
    topic: typed(req, 'topic', MAX_TOPIC_LENGTH + 100),
    error,
    fileNote,
    maxBytes,
    maxSize: formatBytes(maxBytes),
    maxCaption: MAX_CAPTION_LENGTH,
    maxTopic: MAX_TOPIC_LENGTH,
    accept: ACCEPTED_TYPES,
  });

  /** The photo page: the photo, every comment (oldest first), and what the viewer may delete. */
  async function renderPhoto(
    req: Request,
    res: Response,
    id: string,
    form: { text: string; error: string | null } = { text: '', error: null },
  ): Promise<void> {
    const me: Viewer = viewer(req);
    const [photo, list] = await Promise.all([photos.get(me, id), comments.list(me, id)]);
    const isOwner = photo.userId === me.id;
    res.render('photo', {
      title: photo.caption ? photo.caption.slice(0, 60) : `Photo by ${photo.username}`,
      photo,
      isOwner,
      comments: list.map((c) => ({ ...c, canDelete: isOwner || c.userId === me.id })),
      commentText: form.text,
      commentError: form.error,
      maxComment: MAX_COMMENT_LENGTH,
    });
  }

  pages.get('/upload', requirePageUser, (req, res) => {
    res.render('upload', uploadModel(req, null));
  });

  const upload: RequestHandler = async (req, res) => {
    if (!req.file) throw new InvalidInput(photoMessages.noFile, 'missing_file');
    const fields = parse(uploadFields, req.body);
    const photo = await photos.upload(viewer(req), {
      bytes: req.file.buffer,
      ...fields,
      format: config.images.format,
    });
    res.redirect(303, `/photos/${photo.id}`);
  };
  // A refused file or field: the form again, with the reason, the limit and what was sent.
  const uploadRefused: ErrorRequestHandler = (err: unknown, req, res, next) => {
    if (!(err instanceof AppError || err instanceof MulterError)) return next(err);
    const e = toHttpError(err, { maxUploadBytes: maxBytes });
    if (!e) return next(err);
    if (err instanceof RateLimited) res.set('Retry-After', String(err.retryAfterSeconds));
    let fileNote: string | null = null;
    if (req.file) {
      const type = req.file.mimetype || 'unknown type';
      fileNote = `The file you sent, ${req.file.originalname}, is ${formatBytes(req.file.size)} (${type}).`;
    } else if (err instanceof MulterError && err.code === 'LIMIT_FILE_SIZE') {
      const sent = Number(req.get('content-length'));
      if (sent > 0) fileNote = `Your upload was about ${formatBytes(sent)}.`;
    }
    res.status(e.status).render('upload', uploadModel(req, e.message, fileNote));
  };
  pages.post('/upload', requireFormUser, limits.upload, photoUpload(maxBytes), upload, uploadRefused);

  pages.get('/photos/:id', requirePageUser, async (req, res) => {
    await renderPhoto(req, res, parse(photoId, req.params.id));
  });

  // The only failure is a photo that is gone, which the error page reports.
  pages.post('/photos/:id/like', requireFormUser, async (req, res) => {
    const id = parse(photoId, req.params.id);
    await photos.like(viewer(req), id);
    res.redirect(303, `/photos/${id}#like-form`);
  });

  // The only failure is a photo that is gone, which the error page reports.
  pages.post('/photos/:id/unlike', requireFormUser, async (req, res) => {
    const id = parse(photoId, req.params.id);
    await photos.unlike(viewer(req), id);
    res.redirect(303, `/photos/${id}#like-form`);
  });

  pages.post('/photos/:id/comments', requireFormUser, formBody, async (req, res) => {
    const id = parse(photoId, req.params.id);
    let added: Comment;
    try {
      const { text } = parse(commentText, req.body);
      added = await comments.add(viewer(req), id, text);
    } catch (err) {
      const e = recoverable(err);
      if (!e || e.status === 404) throw err;
      res.status(e.status);
      return renderPhoto(req, res, id, {
        text: typed(req, 'text', MAX_COMMENT_LENGTH + 100),
        error: e.message,
      });
    }
    res.redirect(303, `/photos/${id}#comment-${added.id}`);
  });

  pages.post('/photos/:id/comments/:commentId/delete', requireFormUser, async (req, res) => {
    const id = parse(photoId, req.params.id);
    const cid = parse(commentId, req.params.commentId);
    try {
      await comments.delete(viewer(req), id, cid);
    } catch (err) {
      return flashFailure(req, res, err, `/photos/${id}#comments`);
    }
    setFlash(req, 'ok', 'Comment deleted.');
    res.redirect(303, `/photos/${id}#comments`);
  });

  pages.post('/photos/:id/delete', requireFormUser, async (req, res) => {
    const id = parse(photoId, req.params.id);
    const me = viewer(req);
    try {
      await photos.delete(me, id);
    } catch (err) {
      // Not the owner: say so on the photo. A photo that is gone is the error page's.
      if (err instanceof NotFound) throw err;
      return flashFailure(req, res, err, `/photos/${id}`);
    }
    setFlash(req, 'ok', 'Photo deleted.');
    res.redirect(303, `/users/${encodeURIComponent(me.username)}`);
  });

  return pages;
}

import { Router, type Request } from 'express';
import type { Config } from '../../config';
import type { Services } from '../../container';
import {
  commentsQuery,
  commentText,
  feedQuery,
  toFeedInput,
  imageSize,
  parse,
  likersQuery,
  photoEdit,
} from '../../domain/schemas';
import { requireUser, viewer } from '../middleware/auth';
import { requestKeyOf } from '../request-key';
import type { RateLimits } from '../middleware/rate-limit';
import { photoUpload, uploadInputOf } from '../middleware/upload';
import { sendBlob } from '../send-blob';
import { toCommentJson, toPhotoJson, toUserJson } from '../serializers';
import { commentIdOf, photoIdOf } from '../path-ids';

/** `Link: <...>; rel="next"` keeping the caller's filters, with the new cursor. */
function nextLink(req: Request, next: string): string {
  const url = new URL(req.originalUrl, 'http://lumina.invalid');
  url.searchParams.set('before', next);
  return `<${url.pathname}${url.search}>; rel="next"`;
}

export function photosApi(
  services: Pick<Services, 'photos' | 'comments'>,
  config: Pick<Config, 'images'>,
  limits: RateLimits,
): Router {
  const api = Router();
  const { photos, comments } = services;
  api.use('/photos', requireUser);

  api.post('/photos', limits.upload, photoUpload(config.images.maxUploadBytes), async (req, res) => {
    const photo = await photos.upload(viewer(req), uploadInputOf(req, config.images.format));
    res.status(201).location(`/api/photos/${photo.id}`).json(toPhotoJson(photo));
  });

  api.get('/photos', async (req, res) => {
    const page = await photos.list(viewer(req), toFeedInput(parse(feedQuery, req.query)));
    if (page.next) res.set('Link', nextLink(req, page.next));
    res.json(page.items.map(toPhotoJson));
  });

  api.get('/photos/:id', async (req, res) => {
    res.json(toPhotoJson(await photos.get(viewer(req), photoIdOf(req))));
  });

  api.patch('/photos/:id', async (req, res) => {
    res.json(toPhotoJson(await photos.edit(viewer(req), photoIdOf(req), parse(photoEdit, req.body))));
  });

  api.delete('/photos/:id', async (req, res) => {
    await photos.delete(viewer(req), photoIdOf(req));
    res.status(204).end();
  });

  api.get('/photos/:id/image/:size', async (req, res) => {
    const id = photoIdOf(req);
    const blob = await photos.openImage(viewer(req), id, parse(imageSize, req.params.size));
    sendBlob(req, res, blob);
  });

  api.post('/photos/:id/like', limits.like, async (req, res) => {
    res.json(await photos.like(viewer(req), photoIdOf(req)));
  });

  api.get('/photos/:id/likes', async (req, res) => {
    const id = photoIdOf(req);
    const { limit, before } = parse(likersQuery, req.query);
    const page = await photos.likers(viewer(req), id, { limit, ...(before ? { before } : {}) });
    if (page.next) res.set('Link', nextLink(req, page.next));
    res.json(page.items.map(toUserJson));
  });

  api.delete('/photos/:id/like', limits.like, async (req, res) => {
    res.json(await photos.unlike(viewer(req), photoIdOf(req)));
  });

  api.get('/photos/:id/comments', async (req, res) => {
    const id = photoIdOf(req);
    const page = await comments.list(viewer(req), id, parse(commentsQuery, req.query));
    if (page.next) res.set('Link', nextLink(req, page.next));
    res.json(page.items.map(toCommentJson));
  });

  api.post('/photos/:id/comments', limits.comment, async (req, res) => {
    const id = photoIdOf(req);
    const { text } = parse(commentText, req.body);
    res.status(201).json(toCommentJson(await comments.add(viewer(req), id, text, requestKeyOf(req))));
  });

  api.delete('/photos/:id/comments/:commentId', async (req, res) => {
    await comments.delete(viewer(req), photoIdOf(req), commentIdOf(req));
    res.status(204).end();
  });

  return api;
}

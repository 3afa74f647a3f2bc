import type { Request } from 'express';
import { commentId, idParam, parsePathId, photoId, userId, username } from '../domain/schemas';

/*
 * The ids in addresses, read the same way by the API and the pages. One that cannot name
 * anything is the 404 of the thing it names ("No such photo."), as a well-formed id that names
 * nothing is (domain/schemas.ts parsePathId).
 */

export const photoIdOf = (req: Request): string => parsePathId(photoId, req.params.id, 'photo');

export const commentIdOf = (req: Request): string => parsePathId(commentId, req.params.commentId, 'comment');

/** A user id in the address, under the route parameter `param`. */
export const userIdOf = (req: Request, param = 'id'): number =>
  parsePathId(userId, req.params[param], 'user');

export const usernameOf = (req: Request): string => parsePathId(username, req.params.username, 'user');

export const friendRequestIdOf = (req: Request): number =>
  parsePathId(idParam('request id'), req.params.id, 'friendRequest');

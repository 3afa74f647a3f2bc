import { Readable } from 'node:stream';
import type { Response } from 'express';
import type { Viewer } from '../domain/types';
import type { AccountExport, ExportService } from '../services/export.service';
import {
  toCommentJson,
  toFriendJson,
  toLikedPhotoJson,
  toMeJson,
  toMessageJson,
  toPhotoJson,
} from './serializers';
import { jsonArrayStream, sendZip, type ZipEntry } from './zip-response';

/** Where a photo's full image sits inside the archive (its extension from its stored type). */
export const archivedImagePath = (photo: { id: string; contentType: string }): string =>
  `photos/${photo.id}.${photo.contentType === 'image/webp' ? 'webp' : 'jpg'}`;

const json = (name: string, open: () => Readable): ZipEntry => ({
  name,
  open: () => Promise.resolve(open()),
  compress: true,
});

/**
 * The files of "download my data" (API.md `GET /api/users/me/export`), in the API's JSON shapes:
 * `profile.json`, `photos.json` and each photo's full image, `comments.json`, `likes.json`,
 * `friends.json`, `messages.json`. Each list is read from the stores only when its file is written.
 */
export async function* accountArchive(data: AccountExport): AsyncGenerator<ZipEntry> {
  yield json('profile.json', () =>
    Readable.from([Buffer.from(`${JSON.stringify(toMeJson(data.user), null, 2)}\n`)]),
  );
  yield json('photos.json', () =>
    jsonArrayStream(data.photos(), (p) => ({
      ...toPhotoJson(p),
      file: archivedImagePath(p),
    })),
  );
  for await (const { photo, open } of data.images()) {
    yield {
      name: archivedImagePath(photo),
      open: async () => (await open())?.body ?? null,
      compress: false,
      mtime: photo.createdAt,
    };
  }
  yield json('comments.json', () => jsonArrayStream(data.comments(), toCommentJson));
  yield json('likes.json', () => jsonArrayStream(data.likes(), toLikedPhotoJson));
  yield json('friends.json', () => jsonArrayStream(data.friends(), toFriendJson));
  yield json('messages.json', () => jsonArrayStream(data.messages(), toMessageJson));
}

/** `lumina-<username>-<yyyy-mm-dd>.zip`. */
export const archiveFilename = (username: string, now: Date): string =>
  `lumina-${username}-${now.toISOString().slice(0, 10)}.zip`;

/** Answers the person's archive (the API route and the settings page's link alike). */
export async function sendAccountArchive(service: ExportService, me: Viewer, res: Response): Promise<void> {
  const data = await service.export(me);
  await sendZip(res, archiveFilename(data.user.username, new Date()), accountArchive(data));
}

import type { Request, RequestHandler } from 'express';
import multer, { MulterError } from 'multer';
import { AppError, InvalidInput, PayloadTooLarge } from '../../domain/errors';
import { parse, uploadFields } from '../../domain/schemas';
import { formatBytes } from '../../lib/bytes';
import { messages as photoMessages, type UploadInput } from '../../services/photo.service';
import { requestKeyOf } from '../request-key';

/** What the person calls the file of an upload field. */
const nounOf = (field: string) => (field === 'avatar' ? 'picture' : 'photo');

export const messages = {
  tooLarge: (maxBytes: number, field = 'photo') =>
    `The ${nounOf(field)} is larger than the ${formatBytes(maxBytes)} limit.`,
  unexpectedFile: (field: string, expected = 'photo') =>
    `Send the ${nounOf(expected)} in the "${expected}" field, not in "${field}".`,
  tooManyParts: 'The upload has too many parts: send one photo with its caption, topic and alt text.',
  fieldTooLong: (field: string) => `The upload's ${field} field is too long.`,
  malformed: 'The upload could not be read: the form data was incomplete or malformed. Please try again.',
  aborted: 'The upload was interrupted before it finished.',
};

/**
 * Multipart parsing for photo uploads: one file field `photo`, held in memory (the image
 * pipeline decodes from a Buffer), plus small text fields.
 *
 * Whatever multer or busboy refuse leaves here as an AppError, so the error mapping never sees a
 * library's error: with memory storage nothing on our side can fail while parsing, so every
 * failure is the client's (a body without a boundary, a truncated part, a malformed part
 * header, a connection closed half-way) and answers 4xx.
 */
export function photoUpload(maxBytes: number, field = 'photo'): RequestHandler {
  const parse = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: maxBytes, files: 1, fields: 10, fieldSize: 64 * 1024, parts: 12 },
  }).single(field);
  return (req, res, next) => {
    parse(req, res, (err?: unknown) => {
      next(err === undefined ? undefined : uploadError(err, req, maxBytes, field));
    });
  };
}

function uploadError(err: unknown, req: Request, maxBytes: number, field: string): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof MulterError) {
    if (err.code === 'LIMIT_FILE_SIZE')
      return new PayloadTooLarge(messages.tooLarge(maxBytes, field), 'file_too_large');
    if (err.code === 'LIMIT_UNEXPECTED_FILE')
      return new InvalidInput(messages.unexpectedFile(err.field ?? 'file', field));
    if (err.code === 'LIMIT_FIELD_VALUE' || err.code === 'LIMIT_FIELD_KEY') {
      return new InvalidInput(messages.fieldTooLong(err.field ?? 'a'));
    }
    if (
      err.code === 'LIMIT_PART_COUNT' ||
      err.code === 'LIMIT_FILE_COUNT' ||
      err.code === 'LIMIT_FIELD_COUNT'
    ) {
      return new InvalidInput(messages.tooManyParts);
    }
    return new InvalidInput(messages.malformed, 'malformed_upload');
  }
  // The client went away before the body ended: nobody reads the answer, and it is no fault of ours.
  if (!req.readableEnded && (req.destroyed || req.socket.destroyed)) {
    return new InvalidInput(messages.aborted, 'request_aborted');
  }
  return new InvalidInput(messages.malformed, 'malformed_upload');
}

/** What PhotoService.upload takes from an upload request that passed photoUpload: the file and its fields. */
export function uploadInputOf(req: Request, format: UploadInput['format']): UploadInput {
  if (!req.file) throw new InvalidInput(photoMessages.noFile, 'missing_file');
  const key = requestKeyOf(req);
  return {
    ...(key ? { requestKey: key } : {}),
    bytes: req.file.buffer,
    ...parse(uploadFields, req.body),
    format,
  };
}

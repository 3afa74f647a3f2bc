import type { RequestHandler } from 'express';
import multer from 'multer';

/**
 * Multipart parsing for photo uploads: one file field `photo`, held in memory (the image
 * pipeline decodes from a Buffer), plus small text fields.
 */
export function photoUpload(maxBytes: number): RequestHandler {
  return multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: maxBytes, files: 1, fields: 10, fieldSize: 64 * 1024, parts: 12 },
  }).single('photo');
}

import express, { type RequestHandler } from 'express';
import { InvalidInput, PayloadTooLarge, UnsupportedMedia } from '../../domain/errors';
import { libraryError, typedErrors } from './typed-errors';

/** `parser` with its refusals as AppErrors (bodyError). */
function typed(parser: RequestHandler): RequestHandler {
  return typedErrors(parser, bodyError);
}

export const messages = {
  invalidJson: 'The request body is not valid JSON.',
  tooLarge: 'The request body is too large.',
  encoding: 'The request body encoding is not supported.',
  aborted: 'The request was interrupted before its body arrived.',
};

/** JSON bodies (the API), up to `limit` (bytes, or a size such as "100kb"). */
export const jsonBody = (limit: number | string): RequestHandler => typed(express.json({ limit }));

/**
 * `application/x-www-form-urlencoded` bodies; used only on the page routes that take a form.
 * 64 kB fits the longest message (2,000 characters of 4-byte UTF-8, percent-encoded) with room.
 */
export const formBody: RequestHandler = typed(
  express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 20 }),
);

/**
 * body-parser's refusals as AppErrors, where they arise. It marks each with `type` and a 4xx
 * `status`; its 5xx (a stream already read, say) are our bugs and go on untouched.
 */
function bodyError(err: unknown): unknown {
  switch ((err as { type?: unknown } | undefined)?.type) {
    case 'entity.parse.failed':
      return new InvalidInput(messages.invalidJson, 'invalid_json');
    case 'entity.too.large':
    case 'parameters.too.many':
      return new PayloadTooLarge(messages.tooLarge);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new UnsupportedMedia(messages.encoding);
    case 'request.aborted':
      return new InvalidInput(messages.aborted, 'request_aborted');
  }
  return libraryError(err);
}

import pino, { type Logger } from 'pino';

export type { Logger };

/** One JSON line per event; secrets never reach the output. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: [
        'req.headers.cookie',
        'req.headers.authorization',
        'res.headers["set-cookie"]',
        'password',
        '*.password',
        'body.password',
      ],
      censor: '[redacted]',
    },
  });
}

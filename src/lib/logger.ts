import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * One JSON line per event; secrets never reach the output. Lines go to stdout asynchronously
 * (a request never waits on the pipe to PM2); pino flushes what is pending when the process exits.
 */
export function createLogger(level: string): Logger {
  return pino(
    {
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
    },
    pino.destination({ dest: 1, sync: false }),
  );
}

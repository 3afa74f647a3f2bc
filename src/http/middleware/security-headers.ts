import helmet, { type HelmetOptions } from 'helmet';

/**
 * helmet's headers, worked out once. helmet runs a dozen small middlewares on every request, each
 * setting a value that never changes (our CSP has no per-request nonce), so here helmet runs once
 * at start-up against a recorder, and every request (app.ts sets them before any handler runs)
 * gets one loop over the recorded headers.
 *
 * Only for options whose values do not depend on the request: a CSP directive given as a function
 * (a nonce) is refused. helmet's one removal, X-Powered-By, is already off (app.ts).
 */
export function securityHeaders(options: HelmetOptions): ReadonlyArray<readonly [string, string]> {
  const directives =
    typeof options.contentSecurityPolicy === 'object' ? options.contentSecurityPolicy.directives : undefined;
  const isDynamic = Object.values(directives ?? {}).some(
    (value) =>
      typeof value === 'function' || (Array.isArray(value) && value.some((v) => typeof v === 'function')),
  );
  if (isDynamic) throw new Error('securityHeaders: CSP directives must not depend on the request');

  const headers: [string, string][] = [];
  const recorder = {
    setHeader(name: string, value: string) {
      headers.push([name, value]);
    },
    removeHeader() {},
  };
  let outcome: { err?: unknown } | undefined;
  helmet(options)({} as never, recorder as never, (err?: unknown) => {
    outcome = { err };
  });
  if (!outcome || outcome.err !== undefined) {
    throw new Error('securityHeaders: helmet did not set its headers at once', { cause: outcome?.err });
  }
  return headers;
}

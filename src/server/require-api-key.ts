// The guards of every machine-facing route (/api, /mcp, /v1). Bearer-token auth: any API_KEY
// string works, compared in constant time; a missing, malformed or wrong header is a 401 with
// WWW-Authenticate. And the body limit, as a typed error.
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { timingSafeEqual } from 'hono/utils/buffer';
import type { Config } from '../config.js';
import { PayloadTooLargeError, UnauthorizedError } from '../errors.js';

export function requireApiKey(token: string): MiddlewareHandler {
  return async (c, next) => {
    const given = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1] ?? '';
    if (!(await timingSafeEqual(given, token))) throw new UnauthorizedError('Missing or wrong API key: send Authorization: Bearer <API_KEY>.');
    await next();
  };
}

export function limitBody(config: Config): MiddlewareHandler {
  return bodyLimit({
    maxSize: config.bodyLimitBytes,
    onError: () => {
      throw new PayloadTooLargeError(`The request body is over the ${config.bodyLimitBytes}-byte limit.`);
    },
  });
}

// The guards of every machine-facing route (/api, /mcp, /v1): the host allow-list, bearer-token
// auth (any API_KEY string works, compared in constant time; a missing, malformed or wrong header
// is a 401 with WWW-Authenticate), and the body limit, each as a typed error.
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { timingSafeEqual } from 'hono/utils/buffer';
import type { Config } from '../config.js';
import { ForbiddenHostError, PayloadTooLargeError, UnauthorizedError } from '../errors.js';

export function requireApiKey(token: string): MiddlewareHandler {
  return async (c, next) => {
    const given = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1] ?? '';
    if (!(await timingSafeEqual(given, token))) throw new UnauthorizedError('Missing or wrong API key: send Authorization: Bearer <API_KEY>.');
    await next();
  };
}

/** BODY_LIMIT_BYTES for every request but an upload of papers (POST /api/ingest), which has INGEST_LIMIT_BYTES. */
export function limitBody(config: Config): MiddlewareHandler {
  const limit = (maxSize: number, name: string) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new PayloadTooLargeError(`The request body is over the ${maxSize}-byte limit (${name}).`);
      },
    });
  const requests = limit(config.bodyLimitBytes, 'BODY_LIMIT_BYTES');
  const uploads = limit(config.ingestLimitBytes, 'INGEST_LIMIT_BYTES');
  return (c, next) => (c.req.method === 'POST' && c.req.path === '/api/ingest' ? uploads(c, next) : requests(c, next));
}

/** The host part of a Host header or an Origin ("[::1]:3000" → "::1", "http://a.b:80" → "a.b"). */
function hostName(value: string): string {
  const authority = value.includes('://') ? value.split('://')[1].split('/')[0] : value;
  const bracketed = /^\[([^\]]+)\]/.exec(authority);
  return (bracketed ? bracketed[1] : authority.replace(/:\d+$/, '')).toLowerCase();
}

/**
 * Answers only to the allowed host names, in the Host header and in Origin when a browser sends one:
 * a page on another site, or a rebinding DNS name pointing at 127.0.0.1, gets 403.
 */
export function requireAllowedHost(config: Config): MiddlewareHandler {
  const allowed = config.allowedHosts ? new Set(config.allowedHosts) : null;
  return async (c, next) => {
    if (allowed) {
      const host = c.req.header('host');
      const origin = c.req.header('origin');
      if (host && !allowed.has(hostName(host))) throw new ForbiddenHostError(`This server does not answer to the host "${hostName(host)}"; add it to ALLOWED_HOSTS to allow it.`);
      if (origin && origin !== 'null' && !allowed.has(hostName(origin))) throw new ForbiddenHostError(`Requests from pages on "${hostName(origin)}" are not allowed; add it to ALLOWED_HOSTS to allow it.`);
    }
    await next();
  };
}

/** The guards in their order: host first (a rebinding page learns nothing), then the key, then the body. */
export function guards(config: Config): MiddlewareHandler[] {
  return [requireAllowedHost(config), ...(config.apiKey ? [requireApiKey(config.apiKey)] : []), limitBody(config)];
}

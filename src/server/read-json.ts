// Request bodies: JSON only as application/json (a form or text/plain post from another site is
// refused before it is read), parsed, then validated with the route's schema.
import type { Context } from 'hono';
import type { z } from 'zod';
import { BadRequestError, UnsupportedMediaTypeError } from '../errors.js';
import { parseRequest } from './schemas.js';

/** A JSON body, only as application/json: a form or text/plain post from another site is refused. */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  if (!/^application\/json\b/i.test(c.req.header('content-type') ?? '')) {
    throw new UnsupportedMediaTypeError('Send the body as JSON with Content-Type: application/json.');
  }
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new BadRequestError('The request body is not valid JSON. Send Content-Type: application/json with a JSON object.');
  }
  return parseRequest(schema, body);
}

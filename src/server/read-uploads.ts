// An upload of papers: multipart/form-data with one or more "files" parts. The body limit
// (INGEST_LIMIT_BYTES) is enforced by the guards while the body streams in, before this reads it.
import type { Context } from 'hono';
import { BadRequestError, ForbiddenHostError, UnsupportedMediaTypeError } from '../errors.js';
import type { UploadedFile } from './ingest-jobs.js';

export const MAX_UPLOAD_FILES = 50;

export async function readUploads(c: Context): Promise<UploadedFile[]> {
  // A form on another site (or another port of this machine) can post multipart without a
  // preflight: a browser's upload must come from this server's own page.
  const site = c.req.header('sec-fetch-site');
  const origin = c.req.header('origin');
  if (site === 'cross-site' || site === 'same-site' || origin === 'null' || (origin && !sameOrigin(origin, c.req.header('host')))) {
    throw new ForbiddenHostError("Uploads are taken only from this server's own page (or from clients that send no Origin).");
  }
  if (!/^multipart\/form-data\b/i.test(c.req.header('content-type') ?? '')) {
    throw new UnsupportedMediaTypeError('Send the files as multipart/form-data, each in a part named "files".');
  }
  let form: Record<string, string | File | Array<string | File>>;
  try {
    form = await c.req.parseBody({ all: true });
  } catch (error) {
    // The body limit's own error passes through as the 413 it is.
    if ((error as { status?: number }).status === 413) throw error;
    throw new BadRequestError(`The upload could not be read as multipart/form-data: ${(error as Error).message}`);
  }
  const parts = [form.files ?? []].flat().filter((p): p is File => typeof p !== 'string');
  if (parts.length === 0) throw new BadRequestError('No files in the upload: send each file in a multipart part named "files".');
  if (parts.length > MAX_UPLOAD_FILES) throw new BadRequestError(`At most ${MAX_UPLOAD_FILES} files per upload; this one has ${parts.length}.`);
  const empty = parts.find((p) => p.size === 0);
  if (empty) throw new BadRequestError(`The file "${empty.name}" is empty.`);
  return Promise.all(parts.map(async (p) => ({ name: p.name || 'upload', data: new Uint8Array(await p.arrayBuffer()) })));
}

/** Whether an Origin ("http://127.0.0.1:3000") names this server's Host ("127.0.0.1:3000"). */
function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return Boolean(host) && new URL(origin).host.toLowerCase() === host!.toLowerCase();
  } catch {
    return false;
  }
}

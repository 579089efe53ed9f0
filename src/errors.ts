// A small family of typed errors. Each has a literal name, an HTTP status and a stable code, and
// owns its response (Hono's getResponse pattern): the app's one error handler returns
// `error.getResponse()`, and the SSE route sends `error.body` as its error event.

export interface ErrorBody {
  error: { code: string; message: string; [detail: string]: unknown };
}

export abstract class AppError extends Error {
  abstract readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 500 | 502 | 503;
  abstract readonly code: string;

  get body(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }

  /** Headers the response must carry besides the body (WWW-Authenticate, Allow, Connection). */
  get headers(): Record<string, string> {
    return {};
  }

  getResponse(): Response {
    return Response.json(this.body, { status: this.status, headers: this.headers });
  }
}

export class BadRequestError extends AppError {
  override readonly name = 'BadRequestError';
  readonly status = 400;
  readonly code = 'bad_request';
}

export class UnauthorizedError extends AppError {
  override readonly name = 'UnauthorizedError';
  readonly status = 401;
  readonly code = 'unauthorized';

  override get headers() {
    return { 'WWW-Authenticate': 'Bearer' };
  }
}

/** A request for a host name the server does not answer to (DNS rebinding, a cross-site page). */
export class ForbiddenHostError extends AppError {
  override readonly name = 'ForbiddenHostError';
  readonly status = 403;
  readonly code = 'forbidden_host';
}

export class NotFoundError extends AppError {
  override readonly name = 'NotFoundError';
  readonly status = 404;
  readonly code = 'not_found';
}

export class MethodNotAllowedError extends AppError {
  override readonly name = 'MethodNotAllowedError';
  readonly status = 405;
  readonly code = 'method_not_allowed';
  constructor(
    message: string,
    readonly allow: string[],
  ) {
    super(message);
  }

  override get headers() {
    return { Allow: this.allow.join(', ') };
  }
}

/** One ingest job at a time: a second is refused, naming the one running. */
export class ConflictError extends AppError {
  override readonly name = 'ConflictError';
  readonly status = 409;
  readonly code = 'conflict';
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  override get body(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...this.details } };
  }
}

export class PayloadTooLargeError extends AppError {
  override readonly name = 'PayloadTooLargeError';
  readonly status = 413;
  readonly code = 'payload_too_large';

  // The rest of the body is never read, so the connection cannot carry another request: say so,
  // or a keep-alive client sends its next request into a socket the server is about to close.
  override get headers() {
    return { Connection: 'close' };
  }
}

export class UnsupportedMediaTypeError extends AppError {
  override readonly name = 'UnsupportedMediaTypeError';
  readonly status = 415;
  readonly code = 'unsupported_media_type';
}

/** Anything not thrown as an AppError: the log gets the details, the client only this. */
export class InternalServerError extends AppError {
  override readonly name = 'InternalServerError';
  readonly status = 500;
  readonly code = 'internal_error';
  constructor() {
    super('Something went wrong on the server; the log has the details.');
  }
}

export class IndexNotReadyError extends AppError {
  override readonly name = 'IndexNotReadyError';
  readonly status = 503;
  readonly code = 'index_not_ready';
}

/** The Postgres database (DATABASE_URL) could not be reached, or dropped the connection. */
/** What the server keeps on disk (saved chats, uploads) cannot be read or written: its DATA_DIR is read-only, full or from a newer version. */
export class StorageError extends AppError {
  override readonly name = 'StorageError';
  readonly status = 503;
  readonly code = 'storage_unavailable';
}

export class DatabaseUnavailableError extends AppError {
  override readonly name = 'DatabaseUnavailableError';
  readonly status = 503;
  readonly code = 'database_unavailable';
}

export class LlmError extends AppError {
  override readonly name = 'LlmError';
  readonly status = 502;
  readonly code = 'llm_failed';
}

/** A source file (or one record in it) could not be read. `line` is 1-based when known. */
export class ParseError extends AppError {
  override readonly name = 'ParseError';
  readonly status = 400;
  readonly code = 'parse_error';
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly line?: number,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${detail}`);
  }
}

/** Structural guard: works across module copies where `instanceof` would not. */
export function isAppError(error: unknown): error is AppError {
  return error instanceof Error && typeof (error as Partial<AppError>).status === 'number' && typeof (error as Partial<AppError>).getResponse === 'function';
}

/** The error as the client sees it: an AppError as it is, anything else as a logged 500. */
export function toAppError(error: unknown, where: string): AppError {
  if (isAppError(error)) return error;
  console.error(`Unhandled error on ${where}:`, error);
  return new InternalServerError();
}

// A small family of typed errors. Each has a literal name, an HTTP status and a stable code;
// the app maps them to `{ error: { code, message } }` in one place (server/app.ts).

export abstract class AppError extends Error {
  abstract readonly status: 400 | 401 | 404 | 413 | 500 | 502 | 503;
  abstract readonly code: string;
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
}

export class NotFoundError extends AppError {
  override readonly name = 'NotFoundError';
  readonly status = 404;
  readonly code = 'not_found';
}

export class PayloadTooLargeError extends AppError {
  override readonly name = 'PayloadTooLargeError';
  readonly status = 413;
  readonly code = 'payload_too_large';
}

export class IndexNotReadyError extends AppError {
  override readonly name = 'IndexNotReadyError';
  readonly status = 503;
  readonly code = 'index_not_ready';
}

export class ModelUnavailableError extends AppError {
  override readonly name = 'ModelUnavailableError';
  readonly status = 503;
  readonly code = 'model_unavailable';
}

/** The index on disk was built with another model or chunking than the one configured. */
export class IndexMismatchError extends AppError {
  override readonly name = 'IndexMismatchError';
  readonly status = 503;
  readonly code = 'index_mismatch';
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
  return (
    error instanceof Error &&
    typeof (error as Partial<AppError>).status === 'number' &&
    typeof (error as Partial<AppError>).code === 'string'
  );
}

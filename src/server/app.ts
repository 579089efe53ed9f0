// The Hono app, built from its parts. Only main.ts calls serve(); tests build this same app with a
// real index and call it in-process or on a real port.
import { Hono, type Context } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { streamSSE } from 'hono/streaming';
import { serveStatic } from '@hono/node-server/serve-static';
import type { z } from 'zod';
import { WEB_DIR, type Config } from '../config.js';
import { BadRequestError, IndexNotReadyError, isAppError, NotFoundError, PayloadTooLargeError } from '../errors.js';
import type { AnswerService } from '../answer/answer-service.js';
import { paperReference } from '../answer/cite.js';
import type { Retriever } from '../retrieve/retriever.js';
import type { EmbeddingModelInfo } from '../embeddings/load-embedding-model.js';
import type { IndexManifest } from '../store/index-store.js';
import type { Paper } from '../types.js';
import { displayName } from '../text/author-names.js';
import { openApiDocument } from './openapi.js';
import { askSchema, papersQuerySchema, searchSchema, summarizeSchema } from './schemas.js';

/** What the server knows right now; bootstrap fills it in while the app already answers. */
export interface ServerState {
  status: 'starting' | 'building' | 'ready' | 'error';
  message?: string;
  service?: AnswerService;
  retriever?: Retriever;
  manifest?: IndexManifest;
  model?: EmbeddingModelInfo;
}

export interface AppOptions {
  config: Config;
  state: ServerState;
  webDir?: string;
}

async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new BadRequestError('The request body is not valid JSON. Send Content-Type: application/json with a JSON object.');
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
    throw new BadRequestError(`Invalid request: ${detail}`);
  }
  return parsed.data;
}

function paperSummary(p: Paper) {
  return { ...paperReference(p), hasText: p.hasText };
}

const fold = (s: string) => s.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();

// The text the paper browser searches, folded once per paper rather than on every request.
const haystacks = new WeakMap<Paper, string>();
function haystack(p: Paper): string {
  let h = haystacks.get(p);
  if (h === undefined) {
    h = fold([p.label, p.title ?? '', p.abstract ?? '', p.venue ?? '', ...p.authors.map(displayName)].join(' '));
    haystacks.set(p, h);
  }
  return h;
}

/** The one mapping from a thrown error to `{ error: { code, message } }` and a status; no stack traces leave. */
function errorResponse(error: unknown, where: string): { status: ContentfulStatusCode; body: { error: { code: string; message: string } } } {
  if (isAppError(error)) return { status: error.status, body: { error: { code: error.code, message: error.message } } };
  if (error instanceof HTTPException) {
    const code = error.status === 401 ? 'unauthorized' : error.status === 413 ? 'payload_too_large' : 'http_error';
    const message = error.status === 401 ? 'Missing or wrong API key: send Authorization: Bearer <API_KEY>.' : error.message;
    return { status: error.status, body: { error: { code, message } } };
  }
  console.error(`Unhandled error on ${where}:`, error);
  return { status: 500, body: { error: { code: 'internal_error', message: 'Something went wrong on the server; the log has the details.' } } };
}

export function createApp({ config, state, webDir = WEB_DIR }: AppOptions): Hono {
  const app = new Hono();

  const ready = () => {
    if (state.status !== 'ready' || !state.service || !state.retriever) {
      throw new IndexNotReadyError(
        state.status === 'error'
          ? `The index could not be loaded: ${state.message}`
          : 'The index is still being built; try again in a few seconds (GET /api/health shows progress).',
      );
    }
    return { service: state.service, retriever: state.retriever };
  };

  const api = new Hono();
  if (config.apiKey) api.use('*', bearerAuth({ token: config.apiKey }));
  api.use(
    '*',
    bodyLimit({
      maxSize: config.bodyLimitBytes,
      onError: () => {
        throw new PayloadTooLargeError(`The request body is over the ${config.bodyLimitBytes}-byte limit.`);
      },
    }),
  );

  api.get('/health', (c) =>
    c.json({
      status: state.status,
      message: state.message,
      papers: state.manifest?.counts.papers ?? 0,
      papersWithText: state.manifest?.counts.papersWithText ?? 0,
      chunks: state.manifest?.counts.chunks ?? 0,
      builtAt: state.manifest?.builtAt,
      embedding: state.model
        ? { model: state.model.modelId, wanted: state.model.wanted, offline: state.model.offline, fallbackReason: state.model.fallbackReason, dims: state.model.dims }
        : null,
      answerer: state.service?.defaultMode ?? (config.llm ? 'llm' : 'extractive'),
      llmModel: config.llm?.model,
    }),
  );

  api.get('/openapi.json', (c) => c.json(openApiDocument()));

  api.post('/ask', async (c) => {
    const body = await readJson(c, askSchema);
    return c.json(await ready().service.ask(body));
  });

  api.post('/chat', async (c) => {
    const body = await readJson(c, askSchema);
    const { service } = ready();
    return streamSSE(c, async (stream) => {
      try {
        const result = await service.ask(body, (event) => {
          // Events are written in order; the SSE writer queues them.
          void stream.writeSSE({ event: event.type, data: JSON.stringify(event.type === 'token' ? { text: event.text } : { citations: event.citations }) });
        });
        await stream.writeSSE({ event: 'done', data: JSON.stringify(result) });
      } catch (error) {
        // Headers are sent by now: the error travels as an event, in the same shape as everywhere else.
        await stream.writeSSE({ event: 'error', data: JSON.stringify(errorResponse(error, 'POST /api/chat').body) });
      }
    });
  });

  api.post('/summarize', async (c) => {
    const body = await readJson(c, summarizeSchema);
    return c.json(await ready().service.summarize(body));
  });

  api.post('/search', async (c) => {
    const body = await readJson(c, searchSchema);
    const t0 = performance.now();
    const results = await ready().retriever.retrieve(body.query, { k: body.k ?? 10, filters: body.filters, mode: body.mode });
    return c.json({
      results: results.map((r) => ({
        paperId: r.paper.id,
        label: r.paper.label,
        title: r.paper.title,
        year: r.paper.year,
        score: Math.round(r.score * 1000) / 1000,
        passage: r.passages[0]?.chunk.text ?? '',
      })),
      timings: { retrieveMs: Math.round((performance.now() - t0) * 10) / 10 },
    });
  });

  api.get('/papers', (c) => {
    const parsed = papersQuerySchema.safeParse(c.req.query());
    if (!parsed.success) throw new BadRequestError(`Invalid query: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const { q, yearFrom, yearTo, limit, offset } = parsed.data;
    const { retriever } = ready();
    const needle = q ? fold(q.trim()) : '';
    const matches = [...retriever.papers.values()].filter((p) => {
      if (yearFrom !== undefined && (p.year === null || p.year < yearFrom)) return false;
      if (yearTo !== undefined && (p.year === null || p.year > yearTo)) return false;
      return !needle || haystack(p).includes(needle);
    });
    matches.sort((a, b) => (b.year ?? 0) - (a.year ?? 0) || a.label.localeCompare(b.label));
    return c.json({ total: matches.length, offset, limit, papers: matches.slice(offset, offset + limit).map(paperSummary) });
  });

  api.get('/papers/:id{.+}', (c) => {
    const id = c.req.param('id');
    const { retriever } = ready();
    const paper = retriever.papers.get(id);
    if (!paper) throw new NotFoundError(`No paper with id "${id}". GET /api/papers lists the ids.`);
    const chunks = retriever.chunks.filter((ch) => ch.paperId === id).map(({ id: chunkId, ordinal, sentences }) => ({ chunkId, ordinal, sentences }));
    return c.json({ ...paperSummary(paper), ...paper, chunks });
  });

  app.route('/api', api);

  // The page: web/ as static files, "/" being web/index.html.
  app.use('/*', serveStatic({ root: webDir }));

  app.notFound((c) => c.json({ error: { code: 'not_found', message: `No route for ${c.req.method} ${c.req.path}.` } }, 404));

  app.onError((error, c) => {
    const { status, body } = errorResponse(error, `${c.req.method} ${c.req.path}`);
    return c.json(body, status);
  });

  return app;
}

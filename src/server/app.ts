// The Hono app, built from its parts. Only main.ts calls serve(); tests build this same app with a
// real index and call it in-process or on a real port. The parts (corpus, retriever, answerer)
// come from `serving`, taken once per request, because a live server swaps them for each new build.
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { timingSafeEqual } from 'hono/utils/buffer';
import { streamSSE } from 'hono/streaming';
import { serveStatic } from '@hono/node-server/serve-static';
import type { z } from 'zod';
import { WEB_DIR, type Config } from '../config.js';
import { BadRequestError, NotFoundError, PayloadTooLargeError, toAppError, UnauthorizedError } from '../errors.js';
import { paperReference } from '../answer/cite.js';
import type { Paper } from '../types.js';
import { openApiDocument } from './openapi.js';
import { askSchema, papersQuerySchema, searchSchema, summarizeSchema } from './schemas.js';
import type { Serving } from './live-index.js';

export interface AppOptions {
  config: Config;
  serving: Serving;
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

export function createApp({ config, serving, webDir = WEB_DIR }: AppOptions): Hono {
  const app = new Hono();
  const ready = () => serving.parts();

  const api = new Hono();
  if (config.apiKey) {
    const token = config.apiKey;
    api.use('*', async (c, next) => {
      const given = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1] ?? '';
      if (!(await timingSafeEqual(given, token))) throw new UnauthorizedError('Missing or wrong API key: send Authorization: Bearer <API_KEY>.');
      await next();
    });
  }
  api.use(
    '*',
    bodyLimit({
      maxSize: config.bodyLimitBytes,
      onError: () => {
        throw new PayloadTooLargeError(`The request body is over the ${config.bodyLimitBytes}-byte limit.`);
      },
    }),
  );

  api.get('/health', (c) => {
    const { status, message, model, corpus, reloads } = serving.health();
    const m = corpus?.manifest;
    return c.json({
      status,
      message,
      papers: m?.counts.papers ?? 0,
      papersWithText: m?.counts.papersWithText ?? 0,
      chunks: m?.counts.chunks ?? 0,
      builtAt: m?.builtAt,
      buildId: m?.buildId,
      reloads,
      vectorBackend: m?.vectors.backend,
      embedding: model ? { model: model.modelId, wanted: model.wanted, offline: model.offline, fallbackReason: model.fallbackReason, dims: model.dims } : null,
      answerer: config.llm ? 'llm' : 'extractive',
      llmModel: config.llm?.model,
    });
  });

  api.get('/openapi.json', (c) => c.json(openApiDocument()));

  api.post('/ask', async (c) => {
    const body = await readJson(c, askSchema);
    return c.json(await ready().answerer.ask(body));
  });

  api.post('/chat', async (c) => {
    const body = await readJson(c, askSchema);
    const { answerer } = ready();
    return streamSSE(c, async (stream) => {
      try {
        const result = await answerer.ask(body, (event) => {
          // Events are written in order; the SSE writer queues them.
          void stream.writeSSE({ event: event.type, data: JSON.stringify(event.type === 'token' ? { text: event.text } : { citations: event.citations }) });
        });
        await stream.writeSSE({ event: 'done', data: JSON.stringify(result) });
      } catch (error) {
        // Headers are sent by now: the error travels as an event, in the same shape as everywhere else.
        await stream.writeSSE({ event: 'error', data: JSON.stringify(toAppError(error, 'POST /api/chat').body) });
      }
    });
  });

  api.post('/summarize', async (c) => {
    const body = await readJson(c, summarizeSchema);
    return c.json(await ready().answerer.summarize(body));
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
    const matches = ready().corpus.findPapers({ yearFrom, yearTo }, q);
    return c.json({ total: matches.length, offset, limit, papers: matches.slice(offset, offset + limit).map(paperSummary) });
  });

  api.get('/papers/:id{.+}', (c) => {
    const id = c.req.param('id');
    const { corpus } = ready();
    const paper = corpus.paper(id);
    if (!paper) throw new NotFoundError(`No paper with id "${id}". GET /api/papers lists the ids.`);
    const chunks = corpus.chunksOf(id).map(({ id: chunkId, ordinal, sentences }) => ({ chunkId, ordinal, sentences }));
    return c.json({ ...paperSummary(paper), ...paper, chunks });
  });

  app.route('/api', api);

  // The page: web/ as static files, "/" being web/index.html.
  app.use('/*', serveStatic({ root: webDir }));

  app.notFound((c) => new NotFoundError(`No route for ${c.req.method} ${c.req.path}.`).getResponse());

  app.onError((error, c) => toAppError(error, `${c.req.method} ${c.req.path}`).getResponse());

  return app;
}

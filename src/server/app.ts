// The Hono app, built from its parts. Only main.ts calls serve(); tests build this same app with a
// real index and call it in-process or on a real port. The parts (corpus, retriever, answerer)
// come from `serving`, taken once per request, because a live server swaps them for each new build.
import { Hono } from 'hono';
import { StreamableHTTPTransport } from '@hono/mcp';
import { streamSSE } from 'hono/streaming';
import { serveStatic } from '@hono/node-server/serve-static';
import { WEB_DIR, type Config } from '../config.js';
import { MethodNotAllowedError, NotFoundError, toAppError } from '../errors.js';
import { readJson } from './read-json.js';
import { paperRecord, paperSummary, searchResults } from './records.js';
import { allowedMethods, openApiDocument } from './openapi.js';
import { askSchema, papersQuerySchema, parseRequest, searchSchema, summarizeSchema } from './schemas.js';
import { guards } from './guards.js';
import { openAiRoutes } from './openai-compatible.js';
import { createMcpServer } from '../mcp/mcp-server.js';
import type { Serving } from './live-index.js';

export interface AppOptions {
  config: Config;
  serving: Serving;
  webDir?: string;
}

export function createApp({ config, serving, webDir = WEB_DIR }: AppOptions): Hono {
  const app = new Hono();
  const ready = () => serving.parts();

  const api = new Hono();
  api.use('*', ...guards(config));

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
      store: config.database ? 'postgres' : 'files',
      vectorBackend: m?.vectors.backend,
      embedding: model ? { model: model.modelId, wanted: model.wanted, offline: model.offline, fallbackReason: model.fallbackReason, dims: model.dims, dtype: model.dtype } : null,
      answerer: config.llm ? 'llm' : 'extractive',
      llmModel: config.llm?.model,
    });
  });

  // For a load balancer: 200 only while this server can answer (its health says why not otherwise).
  api.get('/ready', (c) => {
    const { status, message } = serving.health();
    return c.json({ ready: status === 'ready', status, message }, status === 'ready' ? 200 : 503);
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
      // A client that hangs up cancels the answer, and the LLM request with it.
      const hangUp = new AbortController();
      stream.onAbort(() => hangUp.abort());
      // Events go out in order and are awaited, so backpressure and write errors are not lost.
      let writing = Promise.resolve();
      const send = (event: string, data: unknown) => {
        writing = writing.then(() => stream.writeSSE({ event, data: JSON.stringify(data) }));
      };
      try {
        const result = await answerer.ask({ ...body, signal: hangUp.signal }, (event) =>
          send(event.type, event.type === 'token' ? { text: event.text } : { citations: event.citations }),
        );
        send('done', result);
      } catch (error) {
        // Headers are sent by now: the error travels as an event, in the same shape as everywhere else.
        send('error', toAppError(error, 'POST /api/chat').body);
      }
      await writing;
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
      results: searchResults(results),
      timings: { retrieveMs: Math.round((performance.now() - t0) * 10) / 10 },
    });
  });

  api.get('/papers', (c) => {
    const { q, yearFrom, yearTo, limit, offset } = parseRequest(papersQuerySchema, c.req.query(), 'query', 'query');
    const matches = ready().corpus.findPapers({ yearFrom, yearTo }, q);
    return c.json({ total: matches.length, offset, limit, papers: matches.slice(offset, offset + limit).map(paperSummary) });
  });

  api.get('/papers/:id{.+}', (c) => c.json(paperRecord(ready().corpus, c.req.param('id'))));

  app.route('/api', api);

  // OpenAI-compatible chat completions, for chat front ends and OpenAI SDKs (openai-compatible.ts).
  app.route('/v1', openAiRoutes(config, serving));

  // MCP over Streamable HTTP, stateless: a server per request over the current parts (mcp-server.ts).
  app.use('/mcp', ...guards(config));
  // Stateless, so there is no session stream to GET and no session to DELETE.
  app.on(['GET', 'DELETE'], '/mcp', (c) => c.json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this MCP endpoint is stateless; POST JSON-RPC messages.' }, id: null }, 405, { Allow: 'POST' }));
  app.post('/mcp', async (c) => {
    const transport = new StreamableHTTPTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await createMcpServer(serving).connect(transport);
    return (await transport.handleRequest(c)) ?? new Response(null, { status: 202 });
  });

  // The page: web/ as static files, "/" being web/index.html.
  app.use('/*', serveStatic({ root: webDir }));

  app.notFound((c) => {
    // A path that exists with another method is a 405 naming the right ones, not a 404.
    const allow = allowedMethods(c.req.path);
    if (allow) return new MethodNotAllowedError(`${c.req.path} takes ${allow.join(' or ')}, not ${c.req.method}.`, allow).getResponse();
    return new NotFoundError(`No route for ${c.req.method} ${c.req.path}.`).getResponse();
  });

  app.onError((error, c) => toAppError(error, `${c.req.method} ${c.req.path}`).getResponse());

  return app;
}

// The Hono app, built from its parts. Only main.ts calls serve(); tests build this same app with a
// real index and call it in-process or on a real port. The parts (corpus, retriever, answerer)
// come from `serving`, taken once per request, because a live server swaps them for each new build.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Hono } from 'hono';
import { StreamableHTTPTransport } from '@hono/mcp';
import { streamSSE } from 'hono/streaming';
import { serveStatic } from '@hono/node-server/serve-static';
import { WEB_DIR, type Config } from '../config.js';
import { MethodNotAllowedError, NotFoundError, toAppError } from '../errors.js';
import { readJson } from './read-json.js';
import { paperRecord, paperSummary, searchResults, sortPapers } from './records.js';
import { STUDY_DESIGNS } from '../types.js';
import { allowedMethods, openApiDocument } from './openapi.js';
import { askSchema, newConversationSchema, papersQuerySchema, parseRequest, searchSchema, summarizeSchema, updateConversationSchema } from './schemas.js';
import { ConversationStore, type ConversationScope } from '../conversations/conversation-store.js';
import { IngestJobs } from './ingest-jobs.js';
import { readUploads } from './read-uploads.js';
import { guards } from './guards.js';
import { openAiRoutes } from './openai-compatible.js';
import { createMcpServer } from '../mcp/mcp-server.js';
import type { Serving } from './live-index.js';

export interface AppOptions {
  config: Config;
  serving: Serving;
  webDir?: string;
  /** Saved conversations; by default DATA_DIR/conversations.sqlite, opened on first use. */
  conversations?: ConversationStore;
}

export function createApp({ config, serving, webDir = WEB_DIR, conversations }: AppOptions): Hono {
  const app = new Hono();
  const ready = () => serving.parts();
  let saved = conversations;
  const conversationStore = () => (saved ??= new ConversationStore(path.join(config.dataDir, 'conversations.sqlite')));
  const jobs = new IngestJobs(config, () => serving.refresh?.() ?? Promise.resolve());

  /**
   * Appends an answered turn to the conversation a request names (checked before answering, so a
   * bad id costs nothing); the filters it was asked under become the conversation's scope.
   */
  const keepTurn = (conversationId: string | undefined, kind: 'ask' | 'summarize', question: string, filters: ConversationScope['filters'], result: object) => {
    if (conversationId) conversationStore().appendTurn(conversationId, { kind, question, scope: { filters }, result: result as Record<string, unknown> });
  };

  const api = new Hono();
  api.use('*', ...guards(config));

  api.get('/health', (c) => {
    const { status, message, model, corpus, reloads, progress } = serving.health();
    const m = corpus?.manifest;
    return c.json({
      status,
      message,
      progress,
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
      designs: STUDY_DESIGNS,
    });
  });

  // For a load balancer: 200 only while this server can answer (its health says why not otherwise).
  api.get('/ready', (c) => {
    const { status, message } = serving.health();
    return c.json({ ready: status === 'ready', status, message }, status === 'ready' ? 200 : 503);
  });

  api.get('/openapi.json', (c) => c.json(openApiDocument()));

  api.post('/ask', async (c) => {
    const { conversationId, ...body } = await readJson(c, askSchema);
    if (conversationId) conversationStore().assertExists(conversationId);
    const result = await ready().answerer.ask(body);
    keepTurn(conversationId, 'ask', body.question, body.filters, result);
    return c.json(result);
  });

  api.post('/chat', async (c) => {
    const { conversationId, ...body } = await readJson(c, askSchema);
    if (conversationId) conversationStore().assertExists(conversationId);
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
        // An answer nobody saw (the client hung up) is not kept as a turn of the conversation.
        if (!hangUp.signal.aborted) keepTurn(conversationId, 'ask', body.question, body.filters, result);
        send('done', result);
      } catch (error) {
        // Headers are sent by now: the error travels as an event, in the same shape as everywhere else.
        send('error', toAppError(error, 'POST /api/chat').body);
      }
      await writing;
    });
  });

  api.post('/summarize', async (c) => {
    const { conversationId, ...body } = await readJson(c, summarizeSchema);
    if (conversationId) conversationStore().assertExists(conversationId);
    const result = await ready().answerer.summarize(body);
    // The papers a summary was asked for are that summary's, not the conversation's scope.
    keepTurn(conversationId, 'summarize', body.topic ?? '', body.filters, result);
    return c.json(result);
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
    const { q, yearFrom, yearTo, design, sort, limit, offset } = parseRequest(papersQuerySchema, c.req.query(), 'query', 'query');
    const matches = sortPapers(ready().corpus.findPapers({ yearFrom, yearTo, design }, q), sort);
    return c.json({ total: matches.length, offset, limit, papers: matches.slice(offset, offset + limit).map(paperSummary) });
  });

  api.get('/papers/:id{.+}', (c) => c.json(paperRecord(ready().corpus, c.req.param('id'))));

  api.get('/conversations', (c) => c.json({ conversations: conversationStore().list() }));
  api.post('/conversations', async (c) => c.json(conversationStore().create(await readJson(c, newConversationSchema)), 201));
  api.get('/conversations/:id', (c) => c.json(conversationStore().get(c.req.param('id'))));
  api.patch('/conversations/:id', async (c) => c.json(conversationStore().update(c.req.param('id'), await readJson(c, updateConversationSchema))));
  api.delete('/conversations/:id', (c) => {
    conversationStore().delete(c.req.param('id'));
    return c.body(null, 204);
  });

  // Files from the page: multipart, one or more "files" parts, in any format ingest reads.
  api.post('/ingest', async (c) => {
    const files = await readUploads(c);
    const job = jobs.start(files);
    return c.json(job, 202, { Location: `/api/ingest/${job.id}` });
  });
  api.get('/ingest/:id', (c) => c.json(jobs.get(c.req.param('id'))));

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

  // The page: web/ as static files, "/" being web/index.html; a saved conversation's link, /c/<id>,
  // is the same page, which reads the id from its address.
  app.get('/c/:id', async (c) => c.html(await readFile(path.join(webDir, 'index.html'), 'utf8')));
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

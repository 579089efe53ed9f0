// The OpenAPI document served at /api/openapi.json. Request bodies come from the zod schemas the
// routes validate with, so the document cannot drift from what the server accepts.
import { z } from 'zod';
import { askSchema, chatCompletionSchema, newConversationSchema, searchSchema, summarizeSchema, updateConversationSchema } from './schemas.js';

const error = {
  description: 'Error',
  content: { 'application/json': { schema: { type: 'object', properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } } } } } },
};
const openAiError = {
  description: 'Error, in the OpenAI shape',
  content: { 'application/json': { schema: { type: 'object', properties: { error: { type: 'object', properties: { message: { type: 'string' }, type: { type: 'string' }, code: { type: 'string' } } } } } } },
};
const citation = {
  type: 'object',
  properties: Object.fromEntries(
    [
      ['n', 'integer'], ['paperId', 'string'], ['label', 'string'], ['title', 'string'], ['year', 'integer'], ['venue', 'string'],
      ['doi', 'string'], ['url', 'string'], ['quote', 'string'], ['quoteStart', 'integer'], ['quoteEnd', 'integer'],
      ['supported', 'boolean'], ['support', 'number'], ['score', 'number'], ['design', 'string'], ['sampleSize', 'string'],
    ].map(([k, t]) => [k, { type: t }]),
  ),
};
const json = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema: z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) } } });
const ok = (description: string, schema: object = { type: 'object' }) => ({ description, content: { 'application/json': { schema } } });
const errors = { 400: error, 401: error, 413: error, 503: error };

export function openApiDocument(): object {
  return {
    openapi: '3.1.0',
    info: { title: 'Abstracts chat API', version: '0.1.0', description: 'Cited answers over a collection of research-paper abstracts.' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Required on /api, /v1 and /mcp when the server has API_KEY set; any string can be the key.' } } },
    security: [{}, { bearer: [] }],
    paths: {
      '/api/ask': {
        post: {
          summary: 'Answer a question with citations',
          requestBody: json(askSchema),
          responses: {
            200: ok('Cited answer', {
              type: 'object',
              properties: {
                answer: { type: 'string' }, answerable: { type: 'boolean' }, mode: { type: 'string', enum: ['extractive', 'llm'] },
                citations: { type: 'array', items: citation }, closest: { type: 'array' }, notice: { type: 'string' },
                safety: { type: 'string', enum: ['crisis'] }, timings: { type: 'object' },
              },
            }),
            ...errors,
          },
        },
      },
      '/api/chat': {
        post: {
          summary: 'The same answer as Server-Sent Events: sources, token…, done (or error)',
          requestBody: json(askSchema),
          responses: { 200: { description: 'text/event-stream' }, ...errors },
        },
      },
      '/api/summarize': { post: { summary: 'Cited multi-paper summary of a topic or of given papers', requestBody: json(summarizeSchema), responses: { 200: ok('Summary'), ...errors } } },
      '/api/search': { post: { summary: 'Fused ranking of papers for a query, without an answer', requestBody: json(searchSchema), responses: { 200: ok('Results'), ...errors } } },
      '/api/papers': {
        get: {
          summary: 'List or search the indexed papers',
          parameters: ['q', 'yearFrom', 'yearTo', 'limit', 'offset'].map((name) => ({ name, in: 'query', required: false, schema: { type: name === 'q' ? 'string' : 'integer' } })),
          responses: { 200: ok('Papers'), ...errors },
        },
      },
      '/api/papers/{id}': { get: { summary: 'One paper: record, abstract, chunks', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: ok('Paper'), 404: error } } },
      '/api/conversations': {
        get: { summary: 'Saved conversations, newest first', responses: { 200: ok('Conversations'), ...errors } },
        post: { summary: 'Start a conversation; name it in ask, chat or summarize requests (conversationId) and the server appends each turn', requestBody: json(newConversationSchema), responses: { 201: ok('Conversation'), ...errors } },
      },
      '/api/conversations/{id}': {
        get: { summary: 'A conversation with its turns: each question and its answer as shown (segments, citations with spans)', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: ok('Conversation'), 404: error } },
        patch: { summary: 'Rename a conversation or change its scope', requestBody: json(updateConversationSchema), responses: { 200: ok('Conversation'), 404: error, ...errors } },
        delete: { summary: 'Delete a conversation and its turns', responses: { 204: { description: 'Deleted' }, 404: error } },
      },
      '/api/ingest': {
        post: {
          summary: 'Add papers: multipart/form-data, files in parts named "files" (any format ingest reads; at most INGEST_LIMIT_BYTES). Starts an ingest job; one at a time',
          requestBody: { required: true, content: { 'multipart/form-data': { schema: { type: 'object', properties: { files: { type: 'array', items: { type: 'string', format: 'binary' } } } } } } },
          responses: { 202: ok('The job, running'), 409: error, 415: error, ...errors },
        },
      },
      '/api/ingest/{id}': { get: { summary: 'An ingest job: status, progress (stage, done, total), and when finished the result (counts, files and their errors with lines)', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: ok('Job'), 404: error } } },
      '/api/health': { get: { summary: 'Status, corpus size, build time, reloads, embedding model, answerer mode', responses: { 200: ok('Health') } } },
      '/api/ready': { get: { summary: 'Readiness for a load balancer: 200 while this server can answer, 503 with the reason otherwise', responses: { 200: ok('Ready'), 503: { description: 'Not ready (building, or the index or database is unavailable)' } } } },
      '/v1/models': { get: { summary: 'OpenAI-compatible: the one model, "abstracts-chat"', responses: { 200: ok('Model list'), 401: openAiError } } },
      '/v1/chat/completions': {
        post: {
          summary: 'OpenAI-compatible chat completion: the last user message is answered with citations (Markdown references in the text, and an extra "citations" field); stream: true gives chat.completion.chunk events',
          requestBody: json(chatCompletionSchema),
          responses: {
            200: ok('chat.completion (or text/event-stream of chat.completion.chunk)', {
              type: 'object',
              properties: { choices: { type: 'array' }, citations: { type: 'array', items: citation }, answerable: { type: 'boolean' } },
            }),
            400: openAiError,
            401: openAiError,
            503: openAiError,
          },
        },
      },
      '/mcp': { post: { summary: 'Model Context Protocol, Streamable HTTP (stateless, JSON responses): tools search_papers, ask, get_paper, summarize; resources paper://{id}', responses: { 200: { description: 'JSON-RPC response' }, 401: error } } },
    },
  };
}

let routes: Array<[RegExp, string[]]> | undefined;

/** The methods a path takes, read from the document above (so a 405's Allow cannot drift from it); null for no such path. */
export function allowedMethods(path: string): string[] | null {
  routes ??= Object.entries((openApiDocument() as { paths: Record<string, object> }).paths).map(([template, ops]) => [
    new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '.+')}$`),
    Object.keys(ops).map((m) => m.toUpperCase()),
  ]);
  return routes.find(([re]) => re.test(path))?.[1] ?? null;
}

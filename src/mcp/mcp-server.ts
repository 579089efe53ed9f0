// The library as an MCP server: four tools over the same answer service the HTTP API uses, and
// every paper as a resource (paper://<id>). Inputs are validated with the HTTP API's own schemas,
// so a bad argument gets the same message here as there; tool results carry the citations as
// structured content beside a Markdown text for clients that show only text. A new server is made
// per HTTP request (stateless) or once for stdio; either way each call takes the current parts,
// so a live index swap reaches MCP clients too.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { LIBRARY_NAME, LIBRARY_VERSION } from '../config.js';
import { BadRequestError, isAppError } from '../errors.js';
import { paperIdOfUri, paperUri, withReferences } from '../answer/references.js';
import type { Serving } from '../server/live-index.js';
import { paperRecord, searchResults } from '../server/records.js';
import { filtersSchema, paperIdSchema, parseRequest, searchSchema, summarizeSchema } from '../server/schemas.js';

const askToolSchema = z
  .object({
    question: z.string().trim().min(1, 'question must not be empty').max(2000),
    filters: filtersSchema.optional(),
    paperIds: z.array(z.string().max(300)).max(50).optional().describe('answer from these papers only'),
    k: z.number().int().min(1).max(20).optional(),
  })
  .strict();

interface Tool<S extends z.ZodType> {
  description: string;
  schema: S;
  run(args: z.output<S>, serving: Serving): Promise<CallToolResult>;
}

const tool = <S extends z.ZodType>(t: Tool<S>) => t;
const json = (value: unknown) => JSON.stringify(value, null, 2);

const TOOLS = {
  search_papers: tool({
    description: 'Search the indexed research abstracts; returns the best-matching papers with their passages, paper ids and sentence offsets.',
    schema: searchSchema,
    async run(args, serving) {
      const results = searchResults(await serving.parts().retriever.retrieve(args.query, { k: args.k ?? 10, filters: args.filters, mode: args.mode }));
      const text = results.map((r, i) => `${i + 1}. ${r.label}${r.title ? ` — ${r.title}` : ''} <${paperUri(r.paperId)}>\n   ${r.passage.replace(/\s+/g, ' ')}`).join('\n') || 'No papers matched.';
      return { content: [{ type: 'text', text }], structuredContent: { results } };
    },
  }),
  ask: tool({
    description: 'Answer a question from the indexed abstracts, citing papers and quoting the sentences that support each claim; refuses when no abstract answers it.',
    schema: askToolSchema,
    async run(args, serving) {
      const filters = args.paperIds?.length ? { ...args.filters, paperIds: args.paperIds } : args.filters;
      const result = await serving.parts().answerer.ask({ question: args.question, filters, k: args.k });
      const { answer, segments, citations, answerable, missing, closest, notice, safety } = result;
      return {
        content: [{ type: 'text', text: withReferences(answer, citations, closest) }],
        structuredContent: { answer, answerable, segments, citations, missing, closest, notice, safety },
      };
    },
  }),
  get_paper: tool({
    description: 'Get one paper\'s full record by id: bibliographic fields, abstract, labelled sections and chunk offsets.',
    schema: paperIdSchema,
    async run(args, serving) {
      const record = paperRecord(serving.parts().corpus, args.id, 'search_papers gives paper ids.');
      return { content: [{ type: 'text', text: json(record) }], structuredContent: record };
    },
  }),
  summarize: tool({
    description: 'Summarise what the indexed abstracts say on a topic (or about given paper ids) as themed, cited sentences.',
    schema: summarizeSchema,
    async run(args, serving) {
      const result = await serving.parts().answerer.summarize(args);
      return { content: [{ type: 'text', text: withReferences(result.summary, result.citations) }], structuredContent: { ...result } };
    },
  }),
} as const;

type ToolName = keyof typeof TOOLS;

/**
 * A JSON-RPC error with our message as it is (McpError would prefix "MCP error <code>:", and the
 * client adds its own prefix again). Bad arguments are InvalidParams, a missing paper
 * resource not found, anything else InternalError.
 */
function rpcError(error: unknown): Error & { code: number } {
  if (error instanceof McpError) return error;
  // -32002 is MCP's "resource not found".
  if (isAppError(error)) return Object.assign(new Error(error.message), { code: error.status === 400 ? ErrorCode.InvalidParams : error.status === 404 ? -32002 : ErrorCode.InternalError });
  console.error('MCP request failed:', error);
  return Object.assign(new Error('Something went wrong on the server; the log has the details.'), { code: ErrorCode.InternalError });
}

/** What a tool could not do (no such paper, index not ready) is a tool result flagged isError, as MCP asks. */
function toolError(error: unknown): CallToolResult {
  if (!isAppError(error)) throw rpcError(error);
  return { isError: true, content: [{ type: 'text', text: error.message }] };
}

/** Tools wait this long for the index on a fresh start (stdio clients call as soon as they connect). */
const READY_WAIT_MS = 60_000;

const PAGE = 200;

export function createMcpServer(serving: Serving): Server {
  const server = new Server(
    { name: LIBRARY_NAME, version: LIBRARY_VERSION },
    { capabilities: { tools: {}, resources: {} }, instructions: 'Answers questions over a collection of research abstracts; every claim is cited to a paper and a quoted sentence. Use ask for questions, search_papers to find papers, get_paper or the paper:// resources to read one.' },
  );

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: Object.entries(TOOLS).map(([name, t]) => ({ name, description: t.description, inputSchema: z.toJSONSchema(t.schema, { io: 'input' }) as { type: 'object' } })),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const t = TOOLS[request.params.name as ToolName] as Tool<z.ZodType> | undefined;
    if (!t) throw rpcError(new BadRequestError(`No tool "${request.params.name}"; the tools are ${Object.keys(TOOLS).join(', ')}.`));
    let args: unknown;
    try {
      args = parseRequest(t.schema, request.params.arguments ?? {}, 'arguments');
    } catch (error) {
      throw rpcError(error);
    }
    await serving.whenReady?.(READY_WAIT_MS);
    try {
      return await t.run(args, serving);
    } catch (error) {
      return toolError(error);
    }
  });

  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
    resourceTemplates: [{ uriTemplate: 'paper://{id}', name: 'paper', description: 'One paper\'s record (id percent-encoded)', mimeType: 'application/json' }],
  }));

  server.setRequestHandler(ListResourcesRequestSchema, async (request) => {
    await serving.whenReady?.(READY_WAIT_MS);
    const papers = (() => {
      try {
        return serving.parts().corpus.papers;
      } catch (error) {
        throw rpcError(error);
      }
    })();
    const start = Number(request.params?.cursor ?? 0) || 0;
    const page = papers.slice(start, start + PAGE);
    return {
      resources: page.map((p) => ({ uri: paperUri(p.id), name: p.label, title: p.title ?? p.label, mimeType: 'application/json' })),
      ...(start + PAGE < papers.length ? { nextCursor: String(start + PAGE) } : {}),
    };
  });

  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    const id = paperIdOfUri(request.params.uri);
    if (!id) throw rpcError(new BadRequestError(`Not a paper URI: "${request.params.uri}" (expected paper://<id>).`));
    await serving.whenReady?.(READY_WAIT_MS);
    try {
      return { contents: [{ uri: request.params.uri, mimeType: 'application/json', text: json(paperRecord(serving.parts().corpus, id, 'search_papers gives paper ids.')) }] };
    } catch (error) {
      throw rpcError(error);
    }
  });

  return server;
}

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
import { isAppError } from '../errors.js';
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
        content: [{ type: 'text', text: withReferences(answer, citations) }],
        structuredContent: { answer, answerable, segments, citations, missing, closest, notice, safety },
      };
    },
  }),
  get_paper: tool({
    description: 'Get one paper\'s full record by id: bibliographic fields, abstract, labelled sections and chunk offsets.',
    schema: paperIdSchema,
    async run(args, serving) {
      const record = paperRecord(serving.parts().corpus, args.id);
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

/** An AppError as the MCP error a client shows: bad input as InvalidParams, the rest as InternalError. */
function mcpError(error: unknown): McpError {
  if (error instanceof McpError) return error;
  if (isAppError(error)) return new McpError(error.status < 500 ? ErrorCode.InvalidParams : ErrorCode.InternalError, error.message);
  console.error('MCP tool failed:', error);
  return new McpError(ErrorCode.InternalError, 'Something went wrong on the server; the log has the details.');
}

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
    if (!t) throw new McpError(ErrorCode.InvalidParams, `No tool "${request.params.name}"; the tools are ${Object.keys(TOOLS).join(', ')}.`);
    try {
      return await t.run(parseRequest(t.schema, request.params.arguments ?? {}), serving);
    } catch (error) {
      throw mcpError(error);
    }
  });

  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
    resourceTemplates: [{ uriTemplate: 'paper://{id}', name: 'paper', description: 'One paper\'s record (id percent-encoded)', mimeType: 'application/json' }],
  }));

  server.setRequestHandler(ListResourcesRequestSchema, async (request) => {
    const papers = (() => {
      try {
        return serving.parts().corpus.papers;
      } catch (error) {
        throw mcpError(error);
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
    if (!id) throw new McpError(ErrorCode.InvalidParams, `Not a paper URI: "${request.params.uri}" (expected paper://<id>).`);
    try {
      return { contents: [{ uri: request.params.uri, mimeType: 'application/json', text: json(paperRecord(serving.parts().corpus, id)) }] };
    } catch (error) {
      throw mcpError(error);
    }
  });

  return server;
}

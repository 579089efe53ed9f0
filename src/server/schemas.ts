// Request bodies, validated with zod. The same schemas feed the OpenAPI document and the MCP tools'
// input schemas, and `parseRequest` words a bad request the same way for HTTP and MCP.
import { z } from 'zod';
import { BadRequestError } from '../errors.js';
import { STUDY_DESIGNS } from '../types.js';

/** The parsed value, or a BadRequestError naming every bad field ("filters.yearFrom: …"). */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, whole = 'body', what = 'request'): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const detail = parsed.error.issues.map((i) => `${i.path.join('.') || whole}: ${i.message}`).join('; ');
  throw new BadRequestError(`Invalid ${what}: ${detail}`);
}

export const filtersSchema = z
  .object({
    yearFrom: z.number().int().min(1000).max(3000).optional(),
    yearTo: z.number().int().min(1000).max(3000).optional(),
    authors: z.string().max(200).optional(),
    venue: z.string().max(300).optional(),
    design: z.enum(STUDY_DESIGNS).optional(),
    paperIds: z.array(z.string().max(300)).max(200).optional(),
  })
  .strict();

/** Names a saved conversation: the server appends the turn to it (GET /api/conversations/:id). */
const conversationIdSchema = z.string().trim().min(1).max(64);

const scopeSchema = z.object({ filters: filtersSchema.optional(), paperIds: z.array(z.string().max(300)).max(200).optional() }).strict();

export const newConversationSchema = z.object({ title: z.string().max(300).optional(), scope: scopeSchema.optional() }).strict();

export const updateConversationSchema = z
  .object({ title: z.string().trim().min(1, 'a title must not be empty').max(300).optional(), scope: scopeSchema.optional() })
  .strict()
  .refine((v) => v.title !== undefined || v.scope !== undefined, { message: 'give a title or a scope to change' });

const turnSchema = z.object({
  role: z.enum(['user', 'assistant', 'system']),
  content: z.string().max(8000),
  // On an assistant turn: the papers it cited, so a follow-up is answered from them.
  paperIds: z.array(z.string().max(300)).max(50).optional(),
});

export const askSchema = z
  .object({
    question: z.string().trim().min(1, 'question must not be empty').max(2000),
    k: z.number().int().min(1).max(20).optional(),
    filters: filtersSchema.optional(),
    history: z.array(turnSchema).max(50).optional(),
    mode: z.enum(['extractive', 'llm']).optional(),
    conversationId: conversationIdSchema.optional(),
  })
  .strict();

export const summarizeSchema = z
  .object({
    topic: z.string().trim().min(1).max(2000).optional(),
    paperIds: z.array(z.string().trim().min(1, 'a paper id must not be empty').max(300)).min(1).max(50).optional(),
    filters: filtersSchema.optional(),
    k: z.number().int().min(1).max(20).optional(),
    mode: z.enum(['extractive', 'llm']).optional(),
    conversationId: conversationIdSchema.optional(),
  })
  .strict()
  .refine((v) => v.topic || v.paperIds, { message: 'give a topic or paperIds' });

export const searchSchema = z
  .object({
    query: z.string().trim().min(1, 'query must not be empty').max(2000),
    k: z.number().int().min(1).max(100).optional(),
    filters: filtersSchema.optional(),
    mode: z.enum(['fused', 'dense', 'lexical']).optional(),
  })
  .strict();

export const papersQuerySchema = z.object({
  q: z.string().max(500).optional(),
  yearFrom: z.coerce.number().int().min(1000).max(3000).optional(),
  yearTo: z.coerce.number().int().min(1000).max(3000).optional(),
  design: z.enum(STUDY_DESIGNS).optional(),
  sort: z.enum(['year-desc', 'year-asc', 'label']).default('year-desc'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

export const paperIdSchema = z.object({ id: z.string().min(1).max(300) }).strict();

// POST /v1/chat/completions: the OpenAI request, of which the messages are read; other fields are ignored.
export const chatContentSchema = z.union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() })), z.null()]);

export const chatCompletionSchema = z.looseObject({
  model: z.string().max(200).optional(),
  messages: z.array(z.looseObject({ role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']), content: chatContentSchema.optional() })).min(1, 'give at least one message').max(100),
  stream: z.boolean().optional(),
});


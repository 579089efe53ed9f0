// The answer service behind the OpenAI chat-completions API, so chat front ends (open-webui,
// LibreChat) and scripts using an OpenAI SDK can ask the library without glue. The last user
// message is the question and the earlier turns are the history; a previous answer's paper://
// links scope a follow-up to its papers, as the page's paperIds do. The reply is the cited answer
// with its references as Markdown, so any client shows readable citations; the citations are also
// in the extra `citations` field. Errors take the OpenAI error shape on these routes.
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { LIBRARY_NAME, type Config } from '../config.js';
import { BadRequestError, MethodNotAllowedError, NotFoundError, toAppError, type AppError } from '../errors.js';
import { readReply, withReferences } from '../answer/references.js';
import type { Turn } from '../answer/follow-up.js';
import type { AskRequest } from '../answer/answer-service.js';
import type { Serving } from './live-index.js';
import { readJson } from './read-json.js';
import { chatCompletionSchema, type chatContentSchema } from './schemas.js';
import { allowedMethods } from './openapi.js';
import { guards } from './guards.js';

const textOf = (content: z.infer<typeof chatContentSchema> | undefined) =>
  typeof content === 'string' ? content : (content ?? []).map((p) => (p.type === 'text' ? (p.text ?? '') : '')).join('');

/** The last user message as the question, the turns before it as the history. */
export function askFromChat(body: z.output<typeof chatCompletionSchema>): AskRequest {
  const last = body.messages.at(-1)!;
  const question = textOf(last.content).trim();
  if (last.role !== 'user' || !question) throw new BadRequestError('Invalid request: messages: the last message must be a user message with text (the question).');
  const history: Turn[] = body.messages.slice(0, -1).flatMap((m): Turn[] => {
    const text = textOf(m.content);
    if (m.role === 'user') return [{ role: 'user', content: text }];
    // Without its list (the titles are not the conversation's words); scoped to the papers it cited.
    if (m.role === 'assistant') {
      const { answer, cited } = readReply(text);
      return [{ role: 'assistant', content: answer, paperIds: cited }];
    }
    return [];
  });
  return { question: question.slice(0, 2000), history };
}

/** A chat client shows only the message, so what the API says in `notice` ("Searched for …") goes under the answer. */
function withNotice(text: string, notice: string | undefined): string {
  return notice ? `${text}\n\n*${notice}*` : text;
}

/** The OpenAI error body for any error: `{ error: { message, type, param, code } }`. */
function openAiErrorBody(e: AppError) {
  const type = e.status === 401 ? 'authentication_error' : e.status === 403 ? 'permission_error' : e.status === 404 ? 'not_found_error' : e.status < 500 ? 'invalid_request_error' : 'server_error';
  return { error: { message: e.message, type, param: null, code: e.code } };
}

function openAiError(error: unknown, where: string): Response {
  const e = toAppError(error, where);
  return Response.json(openAiErrorBody(e), { status: e.status, headers: e.headers });
}

export function openAiRoutes(config: Config, serving: Serving): Hono {
  const v1 = new Hono();
  v1.use('*', ...guards(config));
  v1.onError((error, c) => openAiError(error, `${c.req.method} ${c.req.path}`));

  const created = Math.floor(Date.now() / 1000);
  v1.get('/models', (c) => c.json({ object: 'list', data: [{ id: LIBRARY_NAME, object: 'model', created, owned_by: LIBRARY_NAME }] }));

  v1.post('/chat/completions', async (c) => {
    const body = await readJson(c, chatCompletionSchema);
    const request = askFromChat(body);
    const { answerer } = serving.parts();
    const id = `chatcmpl-${crypto.randomUUID()}`;
    const now = Math.floor(Date.now() / 1000);
    const base = { id, created: now, model: LIBRARY_NAME };

    if (!body.stream) {
      const result = await answerer.ask({ ...request, signal: c.req.raw.signal });
      return c.json({
        ...base,
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: withReferences(withNotice(result.answer, result.notice), result.citations, result.closest) }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
        citations: result.citations,
        answerable: result.answerable,
      });
    }

    return streamSSE(c, async (stream) => {
      const hangUp = new AbortController();
      stream.onAbort(() => hangUp.abort());
      // Writes go out in order and are awaited, so a slow client slows the answer, not the memory.
      let writing = Promise.resolve();
      const send = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}, finish: string | null = null) => {
        const chunk = { ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }], ...extra };
        writing = writing.then(() => stream.writeSSE({ data: JSON.stringify(chunk) }));
      };
      send({ role: 'assistant', content: '' });
      try {
        const result = await answerer.ask({ ...request, signal: hangUp.signal }, (event) => {
          if (event.type === 'token') send({ content: event.text });
        });
        const tail = withReferences(withNotice('', result.notice), result.citations, result.closest);
        if (tail) send({ content: tail });
        send({}, { citations: result.citations, answerable: result.answerable }, 'stop');
      } catch (error) {
        const e = toAppError(error, 'POST /v1/chat/completions');
        writing = writing.then(() => stream.writeSSE({ data: JSON.stringify(openAiErrorBody(e)) }));
      }
      await writing;
      await stream.writeSSE({ data: '[DONE]' });
    });
  });

  // Last, so every other /v1 path gets an OpenAI-shaped 404 (a mounted app's notFound is not used).
  v1.all('*', (c) => {
    const allow = allowedMethods(c.req.path);
    if (allow) throw new MethodNotAllowedError(`${c.req.path} takes ${allow.join(' or ')}, not ${c.req.method}.`, allow);
    throw new NotFoundError(`No route for ${c.req.method} ${c.req.path}; this server has GET /v1/models and POST /v1/chat/completions.`);
  });

  return v1;
}

// The library from other tools, with their official clients against a real server on 127.0.0.1
// over a real index: the MCP SDK client over Streamable HTTP and over stdio, and the openai SDK
// against the OpenAI-compatible endpoint, JSON and streamed.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import OpenAI from 'openai';
import { ROOT } from './helpers.js';
import { paperIdsIn, paperUri } from '../src/answer/references.js';
import { askFromChat } from '../src/server/openai-compatible.js';
import { startTestServer, type TestServer } from './server-harness.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

type Citation = { n: number; paperId: string; quote: string | null; quoteStart: number | null; quoteEnd: number | null };
/** Every quote is the exact span of its paper's abstract that it says it is. */
function expectVerbatim(citations: Citation[]) {
  expect(citations.length).toBeGreaterThan(0);
  for (const c of citations) {
    const paper = server.parts().corpus.paper(c.paperId)!;
    expect(paper).toBeDefined();
    if (c.quote) expect(paper.abstract!.slice(c.quoteStart!, c.quoteEnd!)).toBe(c.quote);
  }
}

const QUESTION = 'What phases do peer support specialists go through?';

async function exerciseMcp(client: Client) {
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name).sort()).toEqual(['ask', 'get_paper', 'search_papers', 'summarize']);
  for (const t of tools) {
    expect(t.description!.length).toBeGreaterThan(30);
    expect(t.inputSchema.type).toBe('object');
  }

  const search = await client.callTool({ name: 'search_papers', arguments: { query: 'residential alternatives to hospital', k: 3 } });
  const results = (search.structuredContent as { results: Array<{ paperId: string; passages: Array<{ sentences: Array<{ start: number; end: number }> }> }> }).results;
  const gilburt = server.parts().corpus.papers.find((p) => p.label.startsWith('Gilburt'))!;
  expect(results[0].paperId).toBe(gilburt.id);
  expect(results[0].passages[0].sentences.length).toBeGreaterThan(0);

  const ask = await client.callTool({ name: 'ask', arguments: { question: QUESTION } });
  const answer = ask.structuredContent as { answer: string; answerable: boolean; citations: Citation[] };
  expect(answer.answerable).toBe(true);
  expect(answer.answer).toMatch(/four phases.*\[1\]/);
  expectVerbatim(answer.citations);
  const text = (ask.content as Array<{ type: string; text: string }>)[0].text;
  expect(text).toContain('References');
  expect(text).toContain(paperUri(answer.citations[0].paperId));

  // Chosen papers are the topic of a question that names none, as a previous answer's are for a follow-up.
  const scoped = await client.callTool({ name: 'ask', arguments: { question: 'How many participants were there?', paperIds: [gilburt.id] } });
  const scopedAnswer = scoped.structuredContent as { answerable: boolean; citations: Citation[] };
  expect(scopedAnswer.citations.map((c) => c.paperId)).toEqual([gilburt.id]);
  expect(scopedAnswer.citations[0].quote).toMatch(/\d+|forty|thirty|twenty/i);

  const paper = await client.callTool({ name: 'get_paper', arguments: { id: gilburt.id } });
  expect(paper.structuredContent).toMatchObject({ paperId: gilburt.id, abstract: gilburt.abstract, sections: gilburt.sections });

  const summary = await client.callTool({ name: 'summarize', arguments: { topic: 'peer support and stigma' } });
  expectVerbatim((summary.structuredContent as { citations: Citation[] }).citations);

  const { resources } = await client.listResources();
  expect(resources).toHaveLength(server.parts().corpus.paperCount);
  const read = await client.readResource({ uri: paperUri(gilburt.id) });
  expect(JSON.parse((read.contents[0] as { text: string }).text).title).toBe(gilburt.title);

  // Bad arguments: a JSON-RPC error carrying the HTTP API's own message for the same input, prefixed once.
  const http = await (await server.post('/api/ask', { question: '' })).json();
  const bad = await client.callTool({ name: 'ask', arguments: { question: '' } }).catch((e: Error) => e);
  expect((bad as Error).message).toBe(`MCP error -32602: ${http.error.message}`);
  // What a tool cannot do is a result flagged isError, as MCP asks.
  const missing = await client.callTool({ name: 'get_paper', arguments: { id: 'no-such-paper' } });
  expect(missing.isError).toBe(true);
  expect((missing.content as Array<{ text: string }>)[0].text).toBe('No paper with id "no-such-paper". search_papers gives paper ids.');
  await expect(client.readResource({ uri: 'paper://no-such-paper' })).rejects.toThrow(/-32002.*No paper with id/);

  // A refusal's text lists the closest papers, uncited, so a reader can still look at them.
  const refusal = await client.callTool({ name: 'ask', arguments: { question: 'What is the boiling point of mercury at sea level?' } });
  expect((refusal.structuredContent as { answerable: boolean }).answerable).toBe(false);
  expect((refusal.content as Array<{ text: string }>)[0].text).toMatch(/Closest papers \(not cited\)\n\n- .*<paper:\/\/.+>/);
}

describe('MCP', () => {
  it('over Streamable HTTP at /mcp: lists the tools, calls each, and the citations hold', async () => {
    const client = new Client({ name: 'test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)));
    await exerciseMcp(client);
    await client.close();
  });

  it('over stdio as npm run mcp launches it, on the same index', async () => {
    const client = new Client({ name: 'test', version: '1.0.0' });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', path.join(ROOT, 'src/mcp/stdio.ts')],
      cwd: ROOT,
      env: { ...(process.env as Record<string, string>), DATA_DIR: server.config.dataDir, EMBEDDING_MODEL: 'offline' },
      stderr: 'pipe',
    });
    await client.connect(transport);
    // Called the moment it connects, while the index is still opening: the tool waits for it.
    const first = await client.callTool({ name: 'ask', arguments: { question: QUESTION } });
    expect(first.isError).toBeFalsy();
    expect((first.structuredContent as { answerable: boolean }).answerable).toBe(true);
    await exerciseMcp(client);
    await client.close();
  }, 60_000);

  it('/mcp is behind API_KEY like /api', async () => {
    const keyed = await startTestServer({ API_KEY: 'k#@!ey' }, server.config.dataDir);
    try {
      const client = new Client({ name: 'test', version: '1.0.0' });
      await expect(client.connect(new StreamableHTTPClientTransport(new URL(`${keyed.url}/mcp`)))).rejects.toThrow(/401|nauthorized/);
      const authed = new Client({ name: 'test', version: '1.0.0' });
      await authed.connect(new StreamableHTTPClientTransport(new URL(`${keyed.url}/mcp`), { requestInit: { headers: { authorization: 'Bearer k#@!ey' } } }));
      expect((await authed.listTools()).tools).toHaveLength(4);
      await authed.close();
    } finally {
      await keyed.close();
    }
  });
});

describe('OpenAI-compatible endpoint', () => {
  const openai = () => new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'anything', maxRetries: 0 });

  it('lists one model named after the library', async () => {
    const models = [];
    for await (const m of openai().models.list()) models.push(m.id);
    expect(models).toEqual(['abstracts-chat']);
  });

  it('answers the last user message with the cited answer and a Markdown reference list', async () => {
    const completion = await openai().chat.completions.create({ model: 'abstracts-chat', messages: [{ role: 'user', content: QUESTION }] });
    const content = completion.choices[0].message.content!;
    expect(content).toMatch(/four phases.*\[1\]/);
    expect(content).toMatch(/\n\nReferences\n\n1\. .*Poremski.*<paper:\/\/.+>\n {3}> /);
    const { citations } = completion as unknown as { citations: Citation[] };
    expectVerbatim(citations);
    expect(completion.choices[0].finish_reason).toBe('stop');
  });

  it('streams chat.completion.chunk events that add up to the same reply', async () => {
    const body = { model: 'abstracts-chat', messages: [{ role: 'user' as const, content: QUESTION }] };
    const whole = (await openai().chat.completions.create(body)).choices[0].message.content;
    const stream = await openai().chat.completions.create({ ...body, stream: true });
    let text = '';
    let last: unknown;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      text += chunk.choices[0]?.delta?.content ?? '';
      last = chunk;
    }
    expect(text).toBe(whole);
    expect((last as { choices: Array<{ finish_reason: string }> }).choices[0].finish_reason).toBe('stop');
    expectVerbatim((last as { citations: Citation[] }).citations);
  });

  it('scopes a follow-up to the papers of the previous reply, from its paper:// links', async () => {
    const first = await openai().chat.completions.create({ model: 'abstracts-chat', messages: [{ role: 'user', content: 'What did patients say about residential alternatives to hospital?' }] });
    const previous = first.choices[0].message.content!;
    const followUp = await openai().chat.completions.create({
      model: 'abstracts-chat',
      messages: [
        { role: 'user', content: 'What did patients say about residential alternatives to hospital?' },
        { role: 'assistant', content: previous },
        { role: 'user', content: 'How many participants were there?' },
      ],
    });
    const cited = (followUp as unknown as { citations: Citation[] }).citations.map((c) => c.paperId);
    expect(cited).toEqual((first as unknown as { citations: Citation[] }).citations.map((c) => c.paperId).slice(0, 1));
  });

  it('a refusal and a crisis reply are ordinary assistant messages', async () => {
    const refusal = await openai().chat.completions.create({ model: 'abstracts-chat', messages: [{ role: 'user', content: 'What is the boiling point of mercury at sea level?' }] });
    expect(refusal.choices[0].message).toMatchObject({ role: 'assistant' });
    expect(refusal.choices[0].message.content).toMatch(/None of the indexed abstracts|not/i);
    expect((refusal as unknown as { citations: Citation[] }).citations).toEqual([]);
    const crisis = await openai().chat.completions.create({ model: 'abstracts-chat', messages: [{ role: 'user', content: 'I want to kill myself' }] });
    expect(crisis.choices[0].message.content).toContain('988');
  });

  it('says under the answer what the API puts in notice: which misspelt words were searched as what', async () => {
    const messages = [{ role: 'user' as const, content: 'Does peer suport reduce self-stigam?' }];
    const reply = await openai().chat.completions.create({ model: 'abstracts-chat', messages });
    expect(reply.choices[0].message.content).toContain('*Searched for “support”, “stigma”: no indexed abstract has “suport”, “stigam”.*');
    let streamed = '';
    for await (const chunk of await openai().chat.completions.create({ model: 'abstracts-chat', messages, stream: true })) streamed += chunk.choices[0]?.delta?.content ?? '';
    expect(streamed).toContain('*Searched for “support”, “stigma”');
    expect(streamed.indexOf('Searched for')).toBeLessThan(streamed.indexOf('References'));
  });

  it('errors take the OpenAI shape, and API_KEY is the bearer token OpenAI clients send', async () => {
    const bad = openai().chat.completions.create({ model: 'abstracts-chat', messages: [{ role: 'assistant', content: 'hello' }] });
    await expect(bad).rejects.toMatchObject({ status: 400, type: 'invalid_request_error', message: expect.stringMatching(/last message must be a user message/) });
    const unknown = await fetch(`${server.url}/v1/embeddings`, { method: 'POST' });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error).toMatchObject({ type: 'not_found_error', message: expect.stringMatching(/POST \/v1\/chat\/completions/) });
    const keyed = await startTestServer({ API_KEY: 'k#@!ey' }, server.config.dataDir);
    try {
      const wrong = new OpenAI({ baseURL: `${keyed.url}/v1`, apiKey: 'nope', maxRetries: 0 });
      await expect(wrong.models.list()).rejects.toMatchObject({ status: 401, type: 'authentication_error' });
      const right = new OpenAI({ baseURL: `${keyed.url}/v1`, apiKey: 'k#@!ey', maxRetries: 0 });
      const reply = await right.chat.completions.create({ model: 'abstracts-chat', messages: [{ role: 'user', content: QUESTION }] });
      expect(reply.choices[0].message.content).toMatch(/four phases/);
    } finally {
      await keyed.close();
    }
  });
});

describe('paper:// links', () => {
  it('round-trip every id, parentheses and all, and a bad escape is ignored rather than thrown', () => {
    const ids = ['doi:10.1016/s0140-6736(20)30183-5', 'pmid:123', "h-it's*!", 'doi:10.1/a b'];
    const text = ids.map((id, i) => `${i + 1}. Someone (2020). Title. <${paperUri(id)}>`).join('\n');
    expect(paperIdsIn(text)).toEqual(ids);
    expect(paperIdsIn('see paper://100% and paper://%E0%A4%A')).toEqual([]);
  });

  it('scope a follow-up to the cited papers of the previous reply, not to a refusal\'s closest papers', () => {
    const cited = 'doi:10.1016/s0140-6736(20)30183-5';
    const reply = `An answer [1].\n\nReferences\n\n1. A (2020). T. <${paperUri(cited)}>\n   > a quote`;
    const refusal = `None of the indexed abstracts mention “x”.\n\nClosest papers (not cited)\n\n- B. <${paperUri('pmid:9')}>`;
    const ask = (previous: string) =>
      askFromChat({ messages: [{ role: 'user', content: 'q1' }, { role: 'assistant', content: previous }, { role: 'user', content: 'How many participants were there?' }] });
    expect(ask(reply).history).toEqual([{ role: 'user', content: 'q1' }, { role: 'assistant', content: 'An answer [1].', paperIds: [cited] }]);
    expect(ask(refusal).history![1]).toEqual({ role: 'assistant', content: 'None of the indexed abstracts mention “x”.', paperIds: [] });
  });
});

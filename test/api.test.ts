import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/server/app.js';
import { LiveIndex } from '../src/server/live-index.js';
import { readSse, startTestServer, type TestServer } from './server-harness.js';
import { testConfig } from './helpers.js';

let server: TestServer;
const paperId = (labelStart: string) => server.parts().corpus.papers.find((p) => p.label.startsWith(labelStart))!.id;
const abstractOf = (id: string) => server.parts().corpus.paper(id)!.abstract!;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

async function ask(body: unknown) {
  const res = await server.post('/api/ask', body);
  expect(res.status).toBe(200);
  return res.json();
}

describe('POST /api/ask (extractive)', () => {
  it('cites the paper a question is clearly about, quoting its finding, with the answer as segments', async () => {
    const result = await ask({ question: 'What did patients say about residential alternatives to hospital compared with in-patient services?' });
    const gilburt = paperId('Gilburt');
    expect(result).toMatchObject({ answerable: true, mode: 'extractive' });
    expect(result.citations.map((c: { paperId: string }) => c.paperId)).toEqual([gilburt]);
    // The quotes are the Results or Conclusions, never the aim ("To explore patients' subjective experiences…").
    const quoted = result.citations[0].spans.map((s: { text: string }) => s.text);
    expect(quoted.some((q: string) => q === 'Patients reported an overall preference for residential alternatives.' || q.startsWith('For patients who have acute mental illness'))).toBe(true);
    expect(quoted.join(' ')).not.toMatch(/To explore patients/);
    expect(result.citations[0]).toMatchObject({ label: 'Gilburt, Slade, Rose et al. (2010)', year: 2010, design: 'qualitative', sampleSize: 'N = 40', quoteField: 'abstract', supported: true });
    // Segments carry the spans; the [n] string is rendered from them, in the same order.
    expect(result.segments.length).toBeGreaterThan(0);
    let at = 0;
    for (const segment of result.segments) {
      const [c] = segment.citations;
      expect(c).toMatchObject({ n: 1, paperId: gilburt, field: 'abstract' });
      expect(abstractOf(gilburt).slice(c.start, c.end)).toBe(segment.text);
      const marker = result.answer.indexOf(`[${c.n}]`, at);
      expect(marker).toBeGreaterThan(at);
      at = marker;
    }
    expect(result.answerability.probability).toBeGreaterThanOrEqual(result.answerability.threshold);
  });

  it('quotes a title-only paper by its title, marked as a title', async () => {
    const result = await ask({ question: 'What is the longitudinal impact of peer support workers\' recovery attributes on service users\' recovery?' });
    const mak = result.citations.find((c: { label: string }) => c.label.startsWith('Mak'));
    expect(mak).toMatchObject({ quoteField: 'title', quoteStart: 0 });
    expect(mak.quote).toMatch(/^Nine-Month Longitudinal Impact of Peer Support Workers/);
    const segment = result.segments.find((s: { citations: Array<{ paperId: string }> }) => s.citations[0]?.paperId === mak.paperId);
    expect(segment.text).toMatch(/^A paper titled “Nine-Month Longitudinal Impact.*only its title is indexed/);
    expect(segment.citations[0]).toMatchObject({ field: 'title', start: 0 });
  });

  it('applies filters inside retrieval: years, authors, paper ids', async () => {
    const q = 'experiences of stigma';
    const all = await ask({ question: q, k: 10 });
    expect(all.citations.map((c: { paperId: string }) => c.paperId)).toContain(paperId('Chung'));
    const recent = await ask({ question: q, filters: { yearFrom: 2019 } });
    for (const c of recent.citations) expect(c.year).toBeGreaterThanOrEqual(2019);
    expect(recent.citations.map((c: { paperId: string }) => c.paperId)).not.toContain(paperId('Chung'));
    const byAuthor = await ask({ question: q, filters: { authors: 'keddell' } });
    expect(byAuthor.citations.map((c: { paperId: string }) => c.paperId)).toEqual([paperId('Parkinson')]);
    const byId = await ask({ question: 'stigma over time', filters: { paperIds: [paperId('Chung')] } });
    expect(new Set(byId.citations.map((c: { paperId: string }) => c.paperId))).toEqual(new Set([paperId('Chung')]));
    const none = await ask({ question: q, filters: { yearTo: 1990 } });
    expect(none).toMatchObject({ answerable: false, citations: [] });
  });

  it('a follow-up scoped to papers outside the filter cites nothing outside the filter', async () => {
    const first = await ask({ question: 'What did patients say about residential alternatives to hospital?' });
    const cited = first.citations.map((c: { paperId: string }) => c.paperId);
    expect(cited).toContain(paperId('Gilburt'));
    const other = paperId('Chung');
    const followUp = await ask({
      question: 'How many participants were there?',
      filters: { paperIds: [other] },
      history: [{ role: 'user', content: 'What did patients say about residential alternatives to hospital?' }, { role: 'assistant', content: first.answer, paperIds: cited }],
    });
    for (const c of followUp.citations) expect(c.paperId).toBe(other);
  });

  it('filters /api/search by study design, and rejects a design it does not know', async () => {
    const designs = new Set(server.parts().corpus.papers.map((p) => p.design).filter(Boolean));
    expect(designs.size).toBeGreaterThan(0);
    for (const design of designs) {
      const res = await server.post('/api/search', { query: 'peer support', k: 10, filters: { design } });
      const { results } = await res.json();
      expect(results.length).toBeGreaterThan(0);
      for (const r of results) expect(server.parts().corpus.paper(r.paperId)!.design).toBe(design);
    }
    const bad = await server.post('/api/search', { query: 'peer support', filters: { design: 'astrology' } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toMatch(/filters\.design/);
  });

  it('refuses a question the abstracts do not address, listing the closest papers separately', async () => {
    const result = await ask({ question: 'What is the boiling point of mercury at sea level?' });
    expect(result.answerable).toBe(false);
    expect(result.citations).toEqual([]);
    expect(result.answer).not.toMatch(/\[\d+\]/);
    expect(result.closest.length).toBeGreaterThan(0);
    expect(result.answerability.probability).toBeLessThan(result.answerability.threshold);
  });

  it('refuses a near miss and names what no abstract covers', async () => {
    const result = await ask({ question: 'What did patients in Scotland say about residential alternatives to hospital?' });
    expect(result).toMatchObject({ answerable: false, citations: [], missing: ['Scotland'] });
    expect(result.answer).toMatch(/^None of the indexed abstracts mention “Scotland”\. The closest papers are about “residential alternatives” and “hospital”/);
    expect(result.closest[0].paperId).toBe(paperId('Gilburt'));
  });

  it('puts crisis support first when a question expresses a personal crisis', async () => {
    const result = await ask({ question: 'I want to end my life. Does peer support help people like me?' });
    expect(result.safety).toBe('crisis');
    expect(result.answer.startsWith(server.config.crisisMessage)).toBe(true);
    expect(result.segments[0]).toEqual({ text: server.config.crisisMessage, citations: [] });
    const research = await ask({ question: 'What do studies say about suicidal ideation among peer workers?' });
    expect(research.safety).toBeUndefined();
    // With nothing to answer from, the pointer to support is the whole reply: no refusal, no paper list.
    const alone = await ask({ question: 'I feel hopeless and want to end my life' });
    expect(alone).toMatchObject({ safety: 'crisis', answerable: false, answer: server.config.crisisMessage, citations: [] });
    expect(alone.segments).toEqual([{ text: server.config.crisisMessage, citations: [] }]);
    expect(alone.closest).toBeUndefined();
  });

  it('searches a topic-swapping follow-up with the last question\'s words', async () => {
    const history = [
      { role: 'user', content: 'Does peer support reduce self-stigma?' },
      { role: 'assistant', content: 'Self-stigma was reduced for many [1].' },
    ];
    const result = await ask({ question: 'What about children of parents with mental illness?', history });
    expect(result.query).toContain('self-stigma');
    expect(result.citations[0].paperId).toBe(paperId('Parkinson'));
  });

  it('answers a follow-up that refers back from the previous answer\'s papers, and answers the new question', async () => {
    const previous = await ask({ question: 'Did perceived stigmatization among psychiatric outpatients in Hong Kong change over time?' });
    const history = [
      { role: 'user', content: 'Did perceived stigmatization among psychiatric outpatients in Hong Kong change over time?' },
      { role: 'assistant', content: previous.answer, paperIds: previous.citations.map((c: { paperId: string }) => c.paperId) },
    ];
    const result = await ask({ question: 'How many participants were there?', history });
    expect(result.scopedTo).toEqual([paperId('Chung')]);
    expect(result.citations.map((c: { paperId: string }) => c.paperId)).toEqual([paperId('Chung')]);
    expect(result.citations[0].quote).toMatch(/193/);
    expect(result.answer).not.toBe(previous.answer);
    // Without paperIds in the history, the papers that answer the previous question are found again.
    const plain = await ask({ question: 'How many participants were there?', history: history.map(({ role, content }) => ({ role, content })) });
    expect(plain.scopedTo).toEqual([paperId('Chung')]);
    expect(plain.citations[0].quote).toMatch(/193/);
  });
});

describe('POST /api/chat (SSE)', () => {
  it('streams sources, then tokens, then done with the same result /api/ask gives', async () => {
    const question = 'How do peer support specialist roles change as positions mature?';
    const res = await server.post('/api/chat', { question });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events = await readSse(res);
    expect(events[0].event).toBe('sources');
    expect(events.at(-1)!.event).toBe('done');
    const tokens = events.filter((e) => e.event === 'token').map((e) => e.data.text).join('');
    const done = events.at(-1)!.data;
    expect(tokens).toBe(done.answer);
    expect(events[0].data.citations.map((c: { paperId: string }) => c.paperId)).toEqual(done.citations.map((c: { paperId: string }) => c.paperId));
    expect(done.citations[0].paperId).toBe(paperId('Poremski'));
    const asked = await ask({ question });
    expect({ ...done, timings: null }).toEqual({ ...asked, timings: null });
  });

  it('streams crisis support before anything else', async () => {
    const events = await readSse(await server.post('/api/chat', { question: 'I want to end my life. Does peer support help?' }));
    expect(events[0]).toMatchObject({ event: 'token', data: { text: `${server.config.crisisMessage}\n\n` } });
    const done = events.at(-1)!.data;
    expect(done.safety).toBe('crisis');
    expect(events.filter((e) => e.event === 'token').map((e) => e.data.text).join('')).toBe(done.answer);
  });

  it('sends bad requests a JSON error, not a stream', async () => {
    const res = await server.post('/api/chat', { question: '' });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('bad_request');
  });
});

describe('search, papers, summaries, health', () => {
  it('POST /api/search returns the fused ranking by paper', async () => {
    const res = await server.post('/api/search', { query: 'online and offline peer support groups', k: 3 });
    const { results } = await res.json();
    expect(results).toHaveLength(3);
    expect(results[0]).toMatchObject({ paperId: paperId('Strand'), label: 'Strand, Gammon, Eng et al. (2018)', year: 2018 });
    expect(results[0].passage).toMatch(/online|offline/i);
    expect(results[0].score).toBeGreaterThanOrEqual(results[1].score);
  });

  it('GET /api/papers lists, searches and pages; /api/papers/:id returns the record and chunks', async () => {
    const all = await (await fetch(`${server.url}/api/papers`)).json();
    expect(all.total).toBe(9);
    const hk = await (await fetch(`${server.url}/api/papers?q=hong%20kong&yearFrom=2018`)).json();
    expect(hk.papers.map((p: { label: string }) => p.label)).toEqual(['Mak, Fu, Auyeung et al. (2021)', 'Chung, Tse, Lee et al. (2018)']);
    const page = await (await fetch(`${server.url}/api/papers?limit=2&offset=2`)).json();
    expect(page.papers).toHaveLength(2);
    const id = paperId('Chung');
    const one = await (await fetch(`${server.url}/api/papers/${encodeURIComponent(id)}`)).json();
    expect(one).toMatchObject({ id, year: 2018, volume: '65' });
    expect(one.abstract).toMatch(/^Background:/);
    expect(one.chunks.length).toBeGreaterThan(1);
    expect((await fetch(`${server.url}/api/papers/doi%3A10.9999%2Fnope`)).status).toBe(404);
  });

  it('POST /api/summarize writes themed, cited sentences for a topic or given papers', async () => {
    const res = await server.post('/api/summarize', { topic: 'peer support and stigma' });
    const summary = await res.json();
    expect(summary.themes.length).toBeGreaterThan(1);
    expect(summary.summary).toMatch(/^## /);
    for (const c of summary.citations) expect(abstractOf(c.paperId)).toContain(c.quote);
    expect(summary.segments.filter((s: { text: string }) => s.text.startsWith('## ')).map((s: { text: string }) => s.text.slice(3))).toEqual(summary.themes.map((t: { theme: string }) => t.theme));
    for (const theme of summary.themes) for (const s of theme.sentences) expect(summary.citations.some((c: { n: number }) => c.n === s.n)).toBe(true);
    const ids = [paperId('Chung'), paperId('Strand')];
    const given = await (await server.post('/api/summarize', { paperIds: ids })).json();
    expect(new Set(given.citations.map((c: { paperId: string }) => c.paperId))).toEqual(new Set(ids));
  });

  it('GET /api/health reports corpus, model (and that it is the offline one) and answerer', async () => {
    const health = await (await fetch(`${server.url}/api/health`)).json();
    expect(health).toMatchObject({ status: 'ready', papers: 9, papersWithText: 7, answerer: 'extractive', embedding: { model: 'offline:abstracts-offline-v1', offline: true } });
  });

  it('serves an OpenAPI document', async () => {
    const doc = await (await fetch(`${server.url}/api/openapi.json`)).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/ask', '/api/chat', '/api/summarize', '/api/search', '/api/papers', '/api/papers/{id}', '/api/health', '/v1/models', '/v1/chat/completions', '/mcp']));
    expect(doc.paths['/api/ask'].post.requestBody.content['application/json'].schema.properties.question.type).toBe('string');
  });
});

describe('errors', () => {
  it.each([
    ['invalid JSON', '{"question": ', /not valid JSON/],
    ['a missing field', {}, /question/],
    ['a wrong type', { question: 'x', k: 'five' }, /k/],
    ['an out-of-range k', { question: 'x', k: 500 }, /k/],
    ['an unknown field', { question: 'x', temperature: 2 }, /temperature|Unrecognized/i],
  ])('400 for %s, with one JSON error shape', async (_name, body, message) => {
    const res = await server.post('/api/ask', body);
    expect(res.status).toBe(400);
    const json = await res.json();
    expect(json.error.code).toBe('bad_request');
    expect(json.error.message).toMatch(message);
    expect(JSON.stringify(json)).not.toMatch(/at .*\.ts:\d+/); // no stack traces
  });

  it('413 over the body limit, closing the connection so the client\'s next request does not fail', async () => {
    for (const size of [server.config.bodyLimitBytes + 10, 2 * 1024 * 1024]) {
      const res = await server.post('/api/ask', { question: 'x'.repeat(size) });
      expect(res.status).toBe(413);
      expect(res.headers.get('connection')).toBe('close');
      expect((await res.json()).error.code).toBe('payload_too_large');
      // The same fetch client (one keep-alive pool): the next request must succeed.
      expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
    }
  });

  it('415 for a JSON route posted as a form or text, 405 with Allow for a wrong method', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', '']) {
      const res = await fetch(`${server.url}/api/ask`, { method: 'POST', headers: type ? { 'content-type': type } : {}, body: JSON.stringify({ question: 'stigma' }) });
      expect(res.status).toBe(415);
      expect((await res.json()).error.code).toBe('unsupported_media_type');
    }
    const charset = await fetch(`${server.url}/api/search`, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ query: 'stigma' }) });
    expect(charset.status).toBe(200);
    const get = await fetch(`${server.url}/api/ask`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const post = await fetch(`${server.url}/api/health`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
    const v1 = await fetch(`${server.url}/v1/chat/completions`);
    expect(v1.status).toBe(405);
    expect(v1.headers.get('allow')).toBe('POST');
    expect((await v1.json()).error.type).toBe('invalid_request_error');
  });

  it('404 for an unknown route', async () => {
    const res = await fetch(`${server.url}/api/nope`);
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('not_found');
  });

  it('503 while the index is building', async () => {
    const building = new LiveIndex(server.config, () => {});
    building.report('building', 'opening the index');
    const app = createApp({ config: server.config, serving: building });
    const res = await app.request('/api/ask', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: 'x' }) });
    expect(res.status).toBe(503);
    expect((await res.json()).error.code).toBe('index_not_ready');
    const health = await (await app.request('/api/health')).json();
    expect(health.status).toBe('building');
  });

  it('answers only to loopback host names by default, on /api, /v1 and /mcp, and ALLOWED_HOSTS extends them', async () => {
    const app = createApp({ config: server.config, serving: server.live });
    const get = (path: string, headers: Record<string, string>) => app.request(`http://127.0.0.1${path}`, { headers });
    expect((await get('/api/health', { host: '127.0.0.1:3000' })).status).toBe(200);
    expect((await get('/api/health', { host: 'localhost' })).status).toBe(200);
    expect((await get('/api/health', { host: '[::1]:3000' })).status).toBe(200);
    for (const path of ['/api/health', '/v1/models', '/mcp']) {
      const rebound = await get(path, { host: 'attacker.example:3000' });
      expect(rebound.status).toBe(403);
      expect(JSON.stringify(await rebound.json())).toMatch(/does not answer to the host \\"attacker\.example\\"/);
    }
    const crossSite = await get('/api/health', { host: '127.0.0.1:3000', origin: 'https://attacker.example' });
    expect(crossSite.status).toBe(403);
    expect((await crossSite.json()).error.code).toBe('forbidden_host');
    expect((await get('/api/health', { host: '127.0.0.1:3000', origin: 'http://127.0.0.1:3000' })).status).toBe(200);
    const extended = createApp({ config: testConfig(server.config.dataDir, { ALLOWED_HOSTS: 'lab.example.org' }), serving: server.live });
    expect((await extended.request('http://lab.example.org/api/health', { headers: { host: 'lab.example.org' } })).status).toBe(200);
    // Bound to all interfaces with no list, any host is answered (the deployment decides).
    const open = createApp({ config: testConfig(server.config.dataDir, { HOST: '0.0.0.0' }), serving: server.live });
    expect((await open.request('http://x/api/health', { headers: { host: 'anything.example' } })).status).toBe(200);
  });

  it('bearer auth on /api/* when API_KEY is set', async () => {
    const config = testConfig(server.config.dataDir, { API_KEY: 's3cret' });
    const app = createApp({ config, serving: server.live });
    expect((await app.request('/api/health')).status).toBe(401);
    expect((await (await app.request('/api/health')).json()).error.code).toBe('unauthorized');
    expect((await app.request('/api/health', { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
  });
});

// Cited summaries: the agreement rule on real abstract sentences, themes grouped and named by
// content, and the summary endpoint over a real index and server (topic, chosen papers, a topic
// nothing covers, citation order).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findingDirection, readFinding, themeAgreement } from '../src/answer/agreement.js';
import { clusterThemes, themeName } from '../src/answer/themes.js';
import { TermSet } from '../src/text/term-set.js';
import { startTestServer, type TestServer } from './server-harness.js';

// Sentences from the bundled abstracts (Parkinson et al.; Chung et al. 2018; Bertram & McDonald 2015).
const REDUCED = 'Findings indicate that many participants experienced stigma outside the service, and self-stigma was reduced for many due to supportive peer relationships formed during service delivery.';
const NO_CHANGE = 'No significant change in perceived stigmatization, rejection experiences and stigma–coping was found among the 109 participants interviewed in 2001 and 2017.';
const BOTH_WAYS = 'Improvements in perceived stigmatization were on marriage and friendship, while viewpoints on trustworthiness, dangerousness, devaluation, avoidance and personal failure remained unchanged, and there was no improvement in rejection experiences and stigma–coping.';
const WELL_BEING = 'In contrast, when service users experienced supportive validating conditions (trusting relationships, engaging in valued activity and peer support) they reported being able to learn, change and grow – finding their own way forward, to improve well-being and quality of life.';

const uniform = { idf: () => 1, unseenIdf: 1 } as never;
const outcome = (t: string) => t.length > 2;

describe('agreement between papers', () => {
  it('reads a finding\'s direction and the outcome around its cue; cues both ways take no side', () => {
    expect(findingDirection(REDUCED)).toBe('down');
    expect(findingDirection(NO_CHANGE)).toBe('none');
    expect(findingDirection(WELL_BEING)).toBe('up');
    expect(findingDirection(BOTH_WAYS)).toBeNull();
    for (const text of ['Self-stigma did not improve.', 'There was no significant improvement in stigma.', 'We found no reduction in stigma.', 'Stigma was not significantly reduced.', 'The programme showed no benefit for stigma.', 'Self-stigma did not decrease.']) {
      expect(findingDirection(text), text).toBe('none');
    }
    // After a modal a change verb is advice or a hope, not a finding; the clause's own finding still counts.
    expect(findingDirection('Organizations may benefit by clearly indicating if they expect peer support positions to be static or transitionary.')).toBeNull();
    expect(findingDirection('Peer support may be beneficial.')).toBeNull();
    expect(findingDirection('Peer support significantly reduced self-stigma, suggesting services should increase access.')).toBe('down');
    expect(findingDirection('Those who might benefit most showed significantly reduced symptoms.')).toBe('down');
    expect(readFinding(REDUCED).outcome.has('stigma')).toBe(true);
    expect(readFinding(WELL_BEING).outcome.has('stigma')).toBe(false);
  });

  it('"no significant change" against "reduced" on the same outcome is mixed, the no-change paper contrasting', () => {
    const finding = (paperId: string, text: string) => ({ paperId, ...readFinding(text) });
    expect(themeAgreement([finding('parkinson', REDUCED), finding('chung', NO_CHANGE)], outcome)).toEqual({ agreement: 'mixed', contrasting: ['chung'] });
    expect(themeAgreement([finding('a', 'Self-stigma was reduced in the peer group.'), finding('b', 'Self-stigma did not decrease.')], outcome)).toEqual({ agreement: 'mixed', contrasting: ['b'] });
    // Reduced stigma and improved well-being are different outcomes: no contest.
    expect(themeAgreement([finding('parkinson', REDUCED), finding('bertram', WELL_BEING)], outcome)).toEqual({ agreement: 'agree', contrasting: [] });
    // Two against one: the one is the contrast.
    expect(themeAgreement([finding('a', REDUCED), finding('b', 'Self-stigma was reduced in the peer group.'), finding('chung', NO_CHANGE)], outcome).contrasting).toEqual(['chung']);
    expect(themeAgreement([finding('a', REDUCED), finding('a', NO_CHANGE)], outcome)).toEqual({ agreement: 'single', contrasting: [] });
  });
});

describe('themes', () => {
  it('groups sentences that share what they are about, and names a theme from its own words', () => {
    const items = [
      'Peer workers described role clarity as the key to finding their place.',
      'Anonymity in the online forum let users disclose their diagnoses.',
      'Without role clarity, peer workers struggle in their teams.',
      'Users balanced anonymity against openness in the forum.',
    ].map((text) => ({ text, terms: TermSet.of(text) }));
    const groups = clusterThemes(items, uniform, new Set());
    expect(groups).toEqual([
      [0, 2],
      [1, 3],
    ]);
    const { name } = themeName(groups[1].map((i) => items[i]), groups[0].map((i) => items[i]), uniform, new Set());
    expect(name).toMatch(/anonymity|forum/i);
    expect(name).not.toMatch(/role/i);
  });
});

describe('POST /api/summarize', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());
  const paperId = (labelStart: string) => server.parts().corpus.papers.find((p) => p.label.startsWith(labelStart))!.id;
  const post = async (body: object) => (await server.post('/api/summarize', body)).json();

  it('a topic: only papers on it, themes by content with their papers and agreement, citations numbered by first appearance', async () => {
    const s = await post({ topic: 'peer support and stigma' });
    const cited = new Set(s.citations.map((c: { paperId: string }) => c.paperId));
    expect(cited).toEqual(new Set([paperId('Parkinson'), paperId('Bertram')]));
    expect(s.themes.length).toBeGreaterThan(1);
    expect(s.themes.map((t: { theme: string }) => t.theme)).not.toContain('Findings');
    for (const t of s.themes) {
      expect(['agree', 'mixed', 'single']).toContain(t.agreement);
      expect(t.papers.length).toBeGreaterThan(0);
      for (const x of t.sentences) expect(server.parts().corpus.paper(x.paperId)!.abstract!.slice(x.start, x.end)).toBe(x.text);
    }
    const order: number[] = s.segments.flatMap((seg: { citations: Array<{ n: number }> }) => seg.citations.map((c) => c.n));
    expect([...new Set(order)]).toEqual([...new Set(order)].sort((a, b) => a - b));
    expect(order[0]).toBe(1);
  });

  it('a topic no paper covers is said plainly, naming the words no abstract mentions, with the closest papers and nothing cited', async () => {
    const s = await post({ topic: 'peer support for military veterans with PTSD' });
    expect(s).toMatchObject({ fallback: 'answer', themes: [], citations: [] });
    expect(s.summary).toMatch(/Fewer than two of the indexed papers address this topic/);
    expect(s.summary).toMatch(/None of the indexed abstracts mention “(military veterans|PTSD)”/);
    expect(s.missing.length).toBeGreaterThan(0);
    expect(s.closest.length).toBeGreaterThan(0);
  });

  it('says "agree" only when two papers report the same direction; otherwise only that none contradicts another', async () => {
    const s = await post({ topic: 'does peer support actually help people' });
    const notes = s.segments.filter((seg: { text: string }) => /^Reported by \d+ papers/.test(seg.text)).map((seg: { text: string }) => seg.text);
    expect(notes.length).toBeGreaterThan(0);
    for (const note of notes) expect(note).toMatch(/papers(, which agree: \d+ of them report .+|; none contradicts another|, mixed: .+ finds? otherwise)\.$/);
  });

  it('whether something helps is summarised only from findings that say which way it went, not from papers that describe it', async () => {
    const s = await post({ topic: 'does peer support actually help people' });
    const sentences = s.themes.flatMap((t: { sentences: Array<{ paperId: string; direction: string | null; text: string }> }) => t.sentences);
    expect(sentences.length).toBeGreaterThan(1);
    for (const x of sentences) expect(x.direction, x.text).not.toBeNull();
    // Poremski describes peer workers' roles ("Organizations may benefit by…" is advice, not a result).
    expect(s.citations.map((c: { paperId: string }) => c.paperId)).not.toContain(paperId('Poremski'));
    expect(s.citations.map((c: { paperId: string }) => c.paperId)).toEqual(expect.arrayContaining([paperId('Parkinson'), paperId('Strand'), paperId('Bertram')]));
  });

  it("a paper that lacks the topic's most specific word is not summarised: families, not mental illness in general", async () => {
    const s = await post({ topic: 'support for families affected by mental illness' });
    const cited = s.citations.map((c: { paperId: string }) => c.paperId);
    expect(cited).toContain(paperId('Parkinson'));
    expect(cited).not.toContain(paperId('Gilburt'));
  });

  it('chosen papers and a topic neither mentions: no shared theme is made up', async () => {
    const s = await post({ paperIds: [paperId('Chung'), paperId('Parkinson')], topic: 'veterans' });
    expect(s.themes).toEqual([]);
    expect(s.summary).toMatch(/Fewer than two of these papers report a finding on “veterans”/);
  });

  it('rejects an empty paper id, and says when an LLM summary was asked for with no LLM configured', async () => {
    expect((await server.post('/api/summarize', { paperIds: [''] })).status).toBe(400);
    const s = await post({ topic: 'peer support and stigma', mode: 'llm' });
    expect(s).toMatchObject({ mode: 'extractive', notice: expect.stringMatching(/No language model is configured/) });
    expect((await post({ paperIds: ['nope-1', 'nope-2'] })).summary).toMatch(/None of the selected papers is in the index/);
  });

  it('five chosen papers: each is named with its main finding, or listed as having no abstract', async () => {
    const ids = ['Mak', 'Poremski', 'Chung', 'Strand', 'Bertram'].map(paperId);
    const s = await post({ paperIds: ids });
    expect(s.findings.map((f: { paperId: string }) => f.paperId)).toEqual(ids);
    expect(s.findings[0]).toMatchObject({ missing: 'no abstract to summarise' });
    for (const f of s.findings.slice(1)) expect(server.parts().corpus.paper(f.paperId)!.abstract).toContain(f.sentence.text);
    for (const id of ids) expect(s.summary).toContain(server.parts().corpus.paper(id)!.label);
    expect(new Set(s.citations.map((c: { paperId: string }) => c.paperId))).toEqual(new Set(ids.slice(1)));
    expect(s.findings[1].sentence.text).toMatch(/four phases/);
  });

  it('chosen papers on a named finding: one shared theme, marked mixed when one paper finds no change', async () => {
    const s = await post({ paperIds: [paperId('Parkinson'), paperId('Chung')], topic: 'no significant change in stigma' });
    const theme = s.themes.find((t: { papers: string[] }) => t.papers.length === 2);
    expect(theme).toMatchObject({ agreement: 'mixed', contrasting: [paperId('Chung')] });
    expect(s.summary).toMatch(/mixed: Chung, Tse, Lee et al\. \(2018\) finds otherwise/);
  });
});

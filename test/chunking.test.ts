import { describe, expect, it } from 'vitest';
import { chunkPaper } from '../src/store/chunk-paper.js';
import { normalisePaper, paperLabel } from '../ingest/normalise-paper.js';
import { mergePapers } from '../ingest/merge-papers.js';
import { findSections, splitSentences } from '../src/text/sentences.js';
import { fixture, papersFrom, SEED } from './helpers.js';

describe('sentence splitting', () => {
  it('keeps exact offsets and respects abbreviations, initials and decimals', () => {
    const text = 'Peer workers (e.g. Dr. Smith) helped. In total, 109 of 193 (56.5%) were seen, p < .005. W. S. Mak agreed! Did it work? Yes.';
    const spans = splitSentences(text);
    expect(spans.map((s) => text.slice(s.start, s.end))).toEqual([
      'Peer workers (e.g. Dr. Smith) helped.',
      'In total, 109 of 193 (56.5%) were seen, p < .005.',
      'W. S. Mak agreed!',
      'Did it work?',
      'Yes.',
    ]);
  });

  it('splits glued scraped text and never puts a label inside a sentence', () => {
    const text = 'BackgroundLittle is known about X.AimsTo explore Y.MethodIn-depth interviews were held.';
    expect(findSections(text).map((s) => s.label)).toEqual(['Background', 'Aims', 'Method']);
    expect(splitSentences(text).map((s) => text.slice(s.start, s.end))).toEqual(['Little is known about X.', 'To explore Y.', 'In-depth interviews were held.']);
  });

  it('reads "LABEL text", "Label: text" and Emerald "Label – text" sections', () => {
    expect(findSections('BACKGROUND Peer groups help. METHODS We asked.').map((s) => s.label)).toEqual(['Background', 'Methods']);
    expect(findSections('Purpose – The aim. Findings – It works.').map((s) => s.label)).toEqual(['Purpose', 'Findings']);
    expect(findSections('Results from the trial were mixed.')).toEqual([]);
  });
});

describe('chunking', () => {
  const papers = papersFrom(SEED);

  it('makes overlapping sentence chunks whose offsets quote the abstract exactly', () => {
    const chung = papers.find((p) => p.label.startsWith('Chung'))!;
    const chunks = chunkPaper(chung, { sentencesPerChunk: 3, overlap: 1 });
    const all = splitSentences(chung.abstract!);
    expect(chunks.length).toBe(Math.ceil((all.length - 1) / 2));
    expect(chunks[0].sentences).toEqual(all.slice(0, 3));
    expect(chunks[1].sentences[0]).toEqual(all[2]); // one sentence of overlap
    for (const c of chunks) {
      for (const s of c.sentences) expect(c.text).toContain(chung.abstract!.slice(s.start, s.end));
      expect(c.id).toBe(`${chung.id}#${c.ordinal}`);
    }
    expect(chunks.flatMap((c) => c.sentences).at(-1)).toEqual(all.at(-1));
  });

  it('embeds the title with each chunk, gives a title-only paper one chunk, and none to a paper without text', () => {
    const mak = papers.find((p) => p.label.startsWith('Mak'))!;
    const [only] = chunkPaper(mak, { sentencesPerChunk: 3, overlap: 1 });
    expect(only).toMatchObject({ text: mak.title, sentences: [] });
    expect(chunkPaper(papers.find((p) => p.label.startsWith('Lau'))!, { sentencesPerChunk: 3, overlap: 1 })).toEqual([]);
    const { paper } = normalisePaper({ title: 'Peer support', abstract: 'One. Two. Three. Four.' }, 'x.json');
    expect(chunkPaper(paper, { sentencesPerChunk: 2, overlap: 0 }).map((c) => c.text)).toEqual(['Peer support\nOne. Two.', 'Peer support\nThree. Four.']);
  });
});

describe('records and dedupe', () => {
  it('labels papers without titles from their authors and year', () => {
    expect(paperLabel([{ family: 'Chung' }, { family: 'Tse' }, { family: 'Lee' }, { family: 'Wong' }], 2018)).toBe('Chung, Tse, Lee et al. (2018)');
    expect(paperLabel([{ family: 'Bertram' }, { family: 'McDonald' }], 2015)).toBe('Bertram & McDonald (2015)');
    expect(paperLabel([{ family: 'Lau' }], null)).toBe('Lau (n.d.)');
  });

  it('cleans whitespace in author names too, so no name can carry a line break into an export', () => {
    const { paper } = normalisePaper({ title: 'T', authors: [{ family: 'Smith\nER  - \n\nTY  - JOUR\nTI  - Forged', given: ' Ann\t\r\n' }, { family: ' \n ' }] }, 'x.json');
    expect(paper.authors).toEqual([{ family: 'Smith ER - TY - JOUR TI - Forged', given: 'Ann' }]);
  });

  it('derives stable ids: DOI, then PMID, then a hash of title, year and first author', () => {
    const a = normalisePaper({ title: 'X', doi: 'https://doi.org/10.5555/ABC' }, 'f').paper;
    expect(a.id).toBe('doi:10.5555/abc');
    expect(normalisePaper({ title: 'X', pmid: '123' }, 'f').paper.id).toBe('pmid:123');
    const h1 = normalisePaper({ title: 'Peer Support!', year: 2020, authors: [{ family: 'Ng' }] }, 'a.ris').paper.id;
    const h2 = normalisePaper({ title: 'peer support', year: 2020, authors: [{ family: 'Ng' }] }, 'b.csv').paper.id;
    expect(h1).toBe(h2);
  });

  it('merges the same paper from two exports (same DOI) and from title+year, never duplicating it', () => {
    const ris = papersFrom(fixture('sample.ris'));
    const csv = papersFrom(fixture('scopus.csv'));
    const merged = mergePapers(ris, csv);
    expect(merged).toMatchObject({ added: 2, updated: 1 });
    expect(merged.papers).toHaveLength(4);
    const okafor = merged.papers.find((p) => p.doi === '10.5555/jpmhn.2019.0112')!;
    expect(okafor.sourceFile).toBe('scopus.csv'); // the newer record wins where it has a value
    const byTitle = mergePapers(merged.papers, [normalisePaper({ title: 'Online peer support forums and loneliness in young adults', year: 2021 }, 'again.json').paper]);
    expect(byTitle).toMatchObject({ added: 0, updated: 1 });
    expect(byTitle.papers.find((p) => p.title?.startsWith('Online peer'))!.abstract).toMatch(/^This cross-sectional survey/);
  });

  it('merges a title without a year into the same title with one when the first authors agree, or one side has none', () => {
    const paper = (raw: Parameters<typeof normalisePaper>[0]) => normalisePaper(raw, 'x.json').paper;
    const title = 'Peer mentoring on acute wards: a qualitative study';
    const dated = paper({ title, year: 2019, authors: [{ family: 'Okafor', given: 'Ada' }] });
    const result = mergePapers(
      [dated],
      [
        paper({ title: `${title}.`, authors: [{ family: 'OKAFOR' }], abstract: 'Peers helped.' }), // same paper, no year
        paper({ title, authors: [{ family: 'Smith' }] }), // another first author: another paper
        paper({ title }), // no authors and no year: the dated one
      ],
    );
    expect(result).toMatchObject({ added: 1, updated: 2 });
    expect(result.papers).toHaveLength(2);
    expect(result.papers[0]).toMatchObject({ id: dated.id, year: 2019, abstract: 'Peers helped.' });
    expect(result.papers[1].authors[0].family).toBe('Smith');
  });

  it('keeps bibliographic entries without title or abstract apart unless they are the same record', () => {
    const entry = (venue: string, pages: string) => normalisePaper({ venue, pages, volume: '3' }, 'x.ris').paper;
    const result = mergePapers([], [entry('Psychiatric Services', '1-9'), entry('Psychiatric Services', '10-19'), entry('BMJ Open', '1-9'), entry('BMJ Open', '1-9')]);
    expect(result.papers).toHaveLength(3);
    expect(result).toMatchObject({ added: 3, updated: 1 });
  });
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSource } from '../ingest/read-source-file.js';
import { detectFormat, parseSource } from '../ingest/parse-source.js';
import { parseAuthorName } from '../ingest/parsers/authors.js';
import { ParseError } from '../src/errors.js';
import { fixture, hasSharedFixtures, papersFrom, SHARED_FIXTURES } from './helpers.js';

describe('format detection', () => {
  it('trusts content over a lying extension', () => {
    expect(detectFormat('export.txt', readFileSync(fixture('ris-saved-as.txt'), 'utf8'))).toBe('ris');
    expect(detectFormat('x.txt', readFileSync(fixture('sample-wos.txt'), 'utf8'))).toBe('wos');
    expect(detectFormat('x.txt', readFileSync(fixture('sample.nbib'), 'utf8'))).toBe('medline');
    expect(detectFormat('x.dat', readFileSync(fixture('sample-pubmed.xml'), 'utf8'))).toBe('pubmed-xml');
    expect(detectFormat('x.txt', readFileSync(fixture('sample.bib'), 'utf8'))).toBe('bibtex');
    expect(detectFormat('x.txt', readFileSync(fixture('scopus.csv'), 'utf8'))).toBe('csv');
  });

  it('refuses an unrecognised file with a message naming it', () => {
    expect(() => parseSource('notes.txt', 'just some words\nand more words')).toThrow(/notes\.txt: unrecognised format/);
  });
});

describe('RIS', () => {
  it('reads tags, wrapped abstracts, pages and DOI (CRLF file)', () => {
    const [a, b] = papersFrom(fixture('sample.ris'));
    expect(a.title).toBe('Peer support workers in acute psychiatric wards: a qualitative study');
    expect(a.authors.map((x) => x.family)).toEqual(['Okafor', 'Lindqvist', 'Brennan']);
    expect(a).toMatchObject({ year: 2019, volume: '26', issue: '3-4', pages: '112-121', doi: '10.5555/jpmhn.2019.0112', id: 'doi:10.5555/jpmhn.2019.0112' });
    expect(a.abstract).toMatch(/^Background: Peer support workers .* ward teams\.$/);
    expect(a.abstract).not.toMatch(/\r|\s{2}/);
    expect(a.sections.map((s) => s.label)).toEqual(['Background', 'Aims', 'Method', 'Results', 'Conclusions']);
    expect(a.design).toBe('qualitative');
    // N2 holds the abstract and the DOI comes from a doi.org URL when DO is missing
    expect(b).toMatchObject({ year: 2021, venue: 'Cyberpsychology, Behavior, and Social Networking', doi: '10.5555/cbsn.2021.455', sampleSize: 'N = 612' });
  });

  it('ignores the trailer lines Ovid writes after ER, and takes ST as the title when there is no TI', () => {
    // Ovid PsycINFO's layout: each record followed by its number, a note and a full-text link.
    const ovid = [
      'TY  - JOUR', 'AU  - Okafor, Ada', 'TI  - Peer mentoring on acute wards', 'PY  - 2019', 'AB  - Peers helped.', 'ER  - ',
      'NL  - 1', 'Link to the Ovid Full Text or citation:', 'http://ovidsp.ovid.com/ovidweb.cgi?T=JS&AN=2019-1', '',
      'TY  - JOUR', 'AU  - Brennan, Liam', 'ST  - Recovery colleges', 'PY  - 2020', 'ER  - ',
      'NL  - 2', 'Link to the Ovid Full Text or citation:', 'http://ovidsp.ovid.com/ovidweb.cgi?T=JS&AN=2020-2', '',
    ].join('\n');
    const { papers, errors, warnings } = parseSource('ovid.ris', ovid);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(papers.map((p) => p.title)).toEqual(['Peer mentoring on acute wards', 'Recovery colleges']);
  });

  it('keeps a record that no ER line closes, as far as it goes, and names its line: an export cut off mid-record', () => {
    const cut = [
      'TY  - JOUR', 'TI  - Peer mentoring on acute wards', 'PY  - 2019', 'ER  - ',
      'TY  - JOUR', 'TI  - Recovery colleges', 'AU  - Brennan, Liam', // no ER: the next record starts
      'TY  - JOUR', 'TI  - Online peer forums', 'PY  - 2021', 'AB  - Members valued anon', // the file ends here
    ].join('\n');
    const { papers, errors, warnings } = parseSource('cut.ris', cut);
    expect(errors).toEqual([]);
    expect(papers.map((p) => p.title)).toEqual(['Peer mentoring on acute wards', 'Recovery colleges', 'Online peer forums']);
    expect(papers[2].abstract).toBe('Members valued anon');
    expect(warnings).toEqual([
      'cut.ris:5: the record has no closing "ER  -" line (is the file cut off?); read as far as it goes',
      'cut.ris:8: the record has no closing "ER  -" line (is the file cut off?); read as far as it goes',
    ]);
    // Cut off inside its only record, an export saved as .txt is still read as RIS.
    expect(parseSource('export.txt', 'TY  - JOUR\nTI  - Recovery colleges')).toMatchObject({ format: 'ris', papers: [{ title: 'Recovery colleges' }], warnings: [expect.stringMatching(/^export\.txt:1: the record has no closing/)] });
  });

  it.skipIf(!hasSharedFixtures)('reads the rispy test-suite exports (BOM, extraneous data, multi-line, empty tags, WoS saved as .ris)', () => {
    const ris = (name: string) => papersFrom(path.join(SHARED_FIXTURES, 'ris', name));
    expect(ris('example_bom.ris')[0].doi).toBe('10.1186/s40981-020-0316-0');
    const extraneous = ris('example_extraneous_data.ris');
    expect(extraneous.map((p) => p.title)).toEqual(['Title of reference', 'The title of the reference']);
    expect(extraneous[0].abstract).toMatch(/^BACKGROUND: Lorem ipsum/);
    const multiline = ris('example_multiline.ris');
    expect(multiline).toHaveLength(3);
    expect(multiline[1].abstract).toBe('first line, ER then second line and at the end the last line');
    const empty = ris('example_empty_tag.ris')[0];
    expect(empty).toMatchObject({ year: 2020, doi: '10.1177/2325967120950040', pages: null });
    expect(empty.authors[0]).toEqual({ family: 'Fanning', given: 'E.' });
    expect(ris('example_utf_chars.ris')[0].abstract).toMatch(/^Состояние рецепторного/);
    const wos = ris('example_wos.ris');
    expect(wos).toHaveLength(2);
    expect(wos[0].authors.map((a) => a.family)).toEqual(['Parkes-Loach', 'Majeed', 'Law', 'Loach']);
    expect(wos[0].title).toBe('Interactions stabilizing the structure of the core light-harvesting complex (LHl) of photosynthetic bacteria and its subunit (B820)');
  });
});

describe('PubMed MEDLINE', () => {
  it('reads PMID, wrapped title and abstract, full author names and the [doi] id', () => {
    const [a, b] = papersFrom(fixture('sample.nbib'));
    expect(a.title).toBe('Effectiveness of peer support for people with severe mental illness: a systematic review and meta-analysis of randomised controlled trials.');
    expect(a.authors).toEqual([{ family: 'Whitfield', given: 'Hannah' }, { family: 'Osei', given: 'Kwame A' }]);
    expect(a).toMatchObject({ pmid: '31234567', doi: '10.5555/pmh.2020.311', year: 2020, volume: '54', issue: '4', pages: '311-324', venue: 'Psychiatric Services (Washington, D.C.)', design: 'meta-analysis' });
    expect(a.sections.map((s) => s.label)).toEqual(['Background', 'Methods', 'Results', 'Conclusions']);
    expect(b).toMatchObject({ id: 'pmid:30111222', year: 2018, sampleSize: 'N = 46' });
  });

  it.skipIf(!hasSharedFixtures)('reads the PubMed exports in shared/fixtures', () => {
    const four = papersFrom(path.join(SHARED_FIXTURES, 'medline', 'pubmed_result2.txt'));
    expect(four).toHaveLength(4);
    expect(four[0]).toMatchObject({ pmid: '16403221', doi: '10.1186/1471-2105-7-10', year: 2006 });
    expect(four[0].authors[0]).toEqual({ family: 'Casbon', given: 'James A' });
    expect(four[0].abstract).toMatch(/^BACKGROUND: Benchmarking algorithms .* more principled\.$/);
  });
});

describe('PubMed XML', () => {
  it('joins labelled AbstractText sections with offsets, strips inline markup, ignores the DTD', () => {
    const [p] = papersFrom(fixture('sample-pubmed.xml'));
    expect(p.title).toBe('Peer-delivered Wellness Recovery Action Planning for veterans: a randomised trial.');
    expect(p).toMatchObject({ pmid: '35550001', doi: '10.5555/bmcp.2022.044', year: 2022, venue: 'BMC Psychiatry', volume: '12', design: 'randomised controlled trial', sampleSize: 'N = 240' });
    expect(p.authors.map((a) => a.family)).toEqual(['Rivera', 'Kowalski', 'VA Peer Research Consortium']);
    expect(p.sections.map((s) => s.label)).toEqual(['Background', 'Methods', 'Results', 'Conclusions']);
    const results = p.sections[2];
    expect(p.abstract!.slice(results.start, results.end)).toBe('At six months, participants in the peer arm reported greater hopefulness (p < 0.01) and quality of life.');
  });

  it('never expands entities declared in a DOCTYPE', () => {
    const xml = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY big "AAAA">]><PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article><ArticleTitle>T &xxe; &big;</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>`;
    const [p] = parseSource('x.xml', xml).papers;
    expect(p.title).not.toMatch(/root:|AAAA/);
  });

  it('reports malformed XML as a parse error naming the file', () => {
    expect(() => parseSource('bad.xml', '<PubmedArticleSet><PubmedArticle><MedlineCitation></PubmedArticle>')).toThrow(ParseError);
  });

  it.skipIf(!hasSharedFixtures)('reads every efetch file in shared/fixtures', () => {
    for (const name of ['pubmed1.xml', 'pubmed2.xml', 'pubmed4.xml', 'pubmed5.xml', 'pubmed6.xml', 'pubmed7.xml']) {
      const papers = papersFrom(path.join(SHARED_FIXTURES, 'pubmed-xml', name));
      expect(papers.length, name).toBeGreaterThan(0);
      for (const p of papers) expect(p.pmid, name).toMatch(/^\d+$/);
    }
    const [structured] = papersFrom(path.join(SHARED_FIXTURES, 'pubmed-xml', 'pubmed4.xml'));
    expect(structured.sections.map((s) => s.label)).toEqual(['Objective', 'Design', 'Results', 'Conclusions']);
  });
});

describe('Web of Science plain text', () => {
  it('reads one author per continuation line and joins wrapped fields', () => {
    const [p] = papersFrom(fixture('sample-wos.txt'));
    expect(p.authors).toEqual([{ family: 'Achterberg', given: 'Mirjam' }, { family: 'Duarte', given: 'Paulo' }]);
    expect(p.title).toBe('Intentional peer support in community mental health teams: a cohort study of service engagement');
    expect(p).toMatchObject({ year: 2016, pages: '801-809', doi: '10.5555/cmhj.2016.801', design: 'cohort', sampleSize: 'N = 387' });
  });

  it('warns of a record cut off before its ER line, and keeps what it has', () => {
    const whole = readFileSync(fixture('sample-wos.txt'), 'utf8');
    expect(parseSource('wos.txt', whole).warnings).toEqual([]);
    const cut = whole.slice(0, whole.indexOf('\nER'));
    const { papers, warnings } = parseSource('wos.txt', cut);
    expect(papers[0].title).toMatch(/^Intentional peer support/);
    expect(warnings).toEqual(['wos.txt:3: the record has no closing "ER" line (is the file cut off?); read as far as it goes']);
  });
});

describe('BibTeX', () => {
  it('turns LaTeX accents into Unicode, splits "and" authors, keeps title case', () => {
    const [a, b] = papersFrom(fixture('sample.bib'));
    expect(a.title).toBe('Peer-Led Recovery Colleges and Personal Recovery: A Mixed-Methods Evaluation');
    expect(a.authors).toEqual([{ family: 'Müller', given: 'Jörg' }, { family: 'François', given: 'Amélie' }, { family: 'Recovery College Research Group' }]);
    expect(a).toMatchObject({ year: 2020, pages: '98-107', doi: '10.5555/prj.2020.098', design: 'mixed methods', sampleSize: 'N = 214' });
    expect(a.abstract).toContain('students described hope and a sense');
    expect(b).toMatchObject({ venue: 'Proceedings of the International Conference on Child and Adolescent Mental Health', year: 2017 });
  });

  it('reports a broken entry with its line and keeps the good ones', () => {
    const text = readFileSync(fixture('sample.bib'), 'utf8') + '\n@article{broken, title = {Unclosed\n';
    const parsed = parseSource('refs.bib', text);
    expect(parsed.papers).toHaveLength(2);
    expect(parsed.errors[0].message).toMatch(/^refs\.bib(:\d+)?: BibTeX/);
  });
});

describe('CSV (Scopus)', () => {
  it('maps Scopus columns, prefers full author names, and drops "[No abstract available]"', () => {
    const [a, b, c] = papersFrom(fixture('scopus.csv'));
    expect(a.authors[0]).toEqual({ family: 'Okafor', given: 'Grace' });
    expect(a).toMatchObject({ venue: 'Journal of Psychiatric and Mental Health Nursing', pages: '112-121', doi: '10.5555/jpmhn.2019.0112' });
    expect(b.title).toBe('Workplace peer support and burnout among mental health nurses, "a survey"');
    expect(b.sampleSize).toBe('N = 1204');
    expect(c.abstract).toBeNull();
    expect(c.hasText).toBe(true); // it still has a title
  });

  it('reads an Embase CSV: Author Names, the year and issue inside Source, the DOI inside Open URL Link', () => {
    // Embase's column layout (a hand-written sample; the values are made up).
    const embase = [
      'Title,Author Names,Source,Abstract,Open URL Link',
      '"Peer navigators in endoscopy clinics","Liu R., Adler D.G.","Endoscopic Ultrasound (2014) 3:3 (152-160). Date of Publication: 2014","Peer navigators reduced missed appointments among 80 patients.","https://example.org/openurl?sid=EMBASE&issn=23039027&id=doi:10.4103%2F2303-9027.138783&atitle=Peer"',
      '"Recovery colleges and hope","Okafor A.","Psychiatric Services (2021) 72 (1012-1019)","Students reported more hope.",""',
    ].join('\n');
    const [a, b] = parseSource('embase.csv', embase).papers;
    expect(a.authors).toEqual([{ family: 'Liu', given: 'R.' }, { family: 'Adler', given: 'D.G.' }]);
    expect(a).toMatchObject({ year: 2014, venue: 'Endoscopic Ultrasound', volume: '3', issue: '3', pages: '152-160', doi: '10.4103/2303-9027.138783' });
    expect(b).toMatchObject({ year: 2021, venue: 'Psychiatric Services', volume: '72', issue: null, pages: '1012-1019', doi: null });
    expect(b.authors).toEqual([{ family: 'Okafor', given: 'A.' }]);
  });

  it('names the file and line of a malformed CSV', () => {
    expect(() => parseSource('x.csv', 'Title,Abstract\n"unterminated,quote\n')).toThrow(/x\.csv/);
  });

  it('refuses a CSV without Title or Abstract columns', () => {
    expect(() => parseSource('x.csv', 'name,age\nAda,36\n')).toThrow(/no Title or Abstract column/);
  });
});

describe('JSON, JSONL, CSL-JSON', () => {
  it('reads plain objects with string or {given,family} authors', () => {
    const [a, b] = papersFrom(fixture('sample.json'));
    expect(a.authors).toEqual([{ family: 'Diallo', given: 'Amara' }, { family: 'Carter', given: 'Ben' }]);
    expect(a.doi).toBe('10.5555/jach.2022.077');
    expect(b).toMatchObject({ id: 'pmid:29990001', year: 2018 });
    expect(b.authors.map((x) => x.family)).toEqual(['Ionescu', 'Park']);
  });

  it('reads Zotero CSL-JSON (issued.date-parts, container-title, DOI, PMID)', () => {
    const [p] = papersFrom(fixture('zotero-csl.json'));
    expect(p).toMatchObject({ year: 2022, venue: 'Health Expectations', doi: '10.5555/hex.2022.001', pmid: '36000001', design: 'scoping review' });
  });

  it('skips a bad JSONL line, naming it, and keeps the rest', () => {
    const parsed = parseSource('x.jsonl', readFileSync(fixture('sample.jsonl'), 'utf8'));
    expect(parsed.papers.map((p) => p.title)).toEqual(['Peer-run respite houses as an alternative to hospital', 'Recovery narratives shared by peers']);
    expect(parsed.errors.map((e) => e.line)).toEqual([2]);
  });

  it('names the line of invalid JSON', () => {
    expect(() => parseSource('broken.json', readFileSync(fixture('broken.json'), 'utf8'))).toThrow(/broken\.json:\d+: invalid JSON/);
  });
});

describe('encodings and bad files', () => {
  it('reads Latin-1 with a warning, strips a UTF-8 BOM, decodes UTF-16', () => {
    const latin1 = Buffer.from('Title,Abstract\nCaf\xe9 peers,R\xe9sum\xe9 of peer support.\n', 'latin1');
    const read = decodeSource(latin1, 'old.csv');
    expect(read.encoding).toBe('windows-1252');
    expect(read.warnings[0]).toMatch(/old\.csv: not valid UTF-8/);
    expect(read.text).toContain('Café peers');
    expect(decodeSource(Buffer.from('\uFEFFTY  - JOUR\r\nER  - \r\n'), 'bom.ris').text).toBe('TY  - JOUR\nER  - \n');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Title\nÅse', 'utf16le')]);
    expect(decodeSource(utf16, 'u.csv').text).toBe('Title\nÅse');
  });

  it('refuses empty and binary files with a clear message', () => {
    expect(() => decodeSource(Buffer.alloc(0), 'empty.ris')).toThrow('empty.ris: the file is empty');
    expect(() => decodeSource(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13]), 'figure.png')).toThrow(/figure\.png: this looks like a binary file/);
  });
});

describe('author names', () => {
  it.each([
    ['Mak, Winnie W. S.', { family: 'Mak', given: 'Winnie W. S.' }],
    ['Winnie W. S. Mak ◽', { family: 'Mak', given: 'Winnie W. S.' }],
    ['Casbon JA', { family: 'Casbon', given: 'JA' }],
    ['Ka-Fai Chung', { family: 'Chung', given: 'Ka-Fai' }],
  ])('%s', (raw, expected) => expect(parseAuthorName(raw)).toEqual(expected));
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSeedListing } from '../ingest/parsers/parse-seed-listing.js';
import { papersFrom, SEED } from './helpers.js';

describe('the bundled seed listing', () => {
  const papers = papersFrom(SEED);
  const byLabel = new Map(papers.map((p) => [p.label, p]));

  it('yields every paper on the page, in order, and none of the site chrome', () => {
    expect(papers.map((p) => p.label)).toEqual([
      'Mak, Fu, Auyeung et al. (2021)',
      'Poremski, Kuek, Qi et al. (n.d.)',
      'Chung, Tse, Lee et al. (2018)',
      'Strand, Gammon, Eng et al. (2018)',
      'Bertram & McDonald (2015)',
      'Ng, Pearson, Pang et al. (2012)',
      'Parkinson, Keddell & Walker (n.d.)',
      'Gilburt, Slade, Rose et al. (2010)',
      'Lau, Siong, Tang et al. (2007)',
    ]);
    expect(papers.some((p) => /sign in|export citation|share document/i.test(`${p.title} ${p.abstract}`))).toBe(false);
  });

  it('keeps the one title there is, and invents none', () => {
    expect(byLabel.get('Mak, Fu, Auyeung et al. (2021)')!.title).toBe(
      'Nine-Month Longitudinal Impact of Peer Support Workers’ Recovery Attributes on Service Users’ Recovery in Hong Kong',
    );
    expect(papers.filter((p) => p.title !== null)).toHaveLength(1);
  });

  it('reads year, volume, issue and pages where the listing has them', () => {
    expect(byLabel.get('Chung, Tse, Lee et al. (2018)')).toMatchObject({ year: 2018, volume: '65', issue: '1', pages: '64-72' });
    expect(byLabel.get('Gilburt, Slade, Rose et al. (2010)')).toMatchObject({ volume: '197', issue: 'S53', pages: 's26-s31' });
    expect(byLabel.get('Lau, Siong, Tang et al. (2007)')).toMatchObject({ year: 2007, volume: '29', issue: '9-10', pages: '984-986' });
    expect(byLabel.get('Mak, Fu, Auyeung et al. (2021)')).toMatchObject({ year: 2021, pages: 'appi.ps.2020000', volume: null });
  });

  it('treats a second Author(s) block without a year as its own paper', () => {
    const poremski = byLabel.get('Poremski, Kuek, Qi et al. (n.d.)')!;
    expect(poremski.year).toBeNull();
    expect(poremski.authors.map((a) => a.family)).toEqual(['Poremski', 'Kuek', 'Qi', 'Li', 'Yow']);
    expect(poremski.authorsTruncated).toBe(true);
    // The abstract after both blocks belongs to the second paper, the first has only its title.
    expect(poremski.abstract).toMatch(/^The current study seeks to determine how peer support roles change/);
    expect(byLabel.get('Mak, Fu, Auyeung et al. (2021)')!.abstract).toBeNull();
    const parkinson = byLabel.get('Parkinson, Keddell & Walker (n.d.)')!;
    expect(parkinson.authorsTruncated).toBe(false);
    expect(parkinson.abstract).toMatch(/^Many children of parents with mental illness \(COPMI\)/);
    expect(byLabel.get('Ng, Pearson, Pang et al. (2012)')!.abstract).toBeNull();
  });

  it('reads authors exactly, with truncation where the list was cut', () => {
    expect(byLabel.get('Chung, Tse, Lee et al. (2018)')!.authors).toEqual([
      { family: 'Chung', given: 'Ka-Fai' },
      { family: 'Tse', given: 'Samson' },
      { family: 'Lee', given: 'Chit-Tat' },
      { family: 'Wong', given: 'Michael Ming-Cheuk' },
      { family: 'Chan', given: 'Wing-Man' },
    ]);
    expect(byLabel.get('Chung, Tse, Lee et al. (2018)')!.authorsTruncated).toBe(false);
    expect(byLabel.get('Bertram & McDonald (2015)')!.authors).toEqual([{ family: 'Bertram', given: 'Mark' }, { family: 'McDonald', given: 'Sarah' }]);
    expect(byLabel.get('Gilburt, Slade, Rose et al. (2010)')!.authorsTruncated).toBe(true);
  });

  it('keeps abstract boundaries exact: each abstract is its own paragraph, whole', () => {
    const text = readFileSync(SEED, 'utf8');
    const paragraphs = text.split('\n').filter((l) => l.length > 200).map((l) => l.replace(/\s+/g, ' ').trim());
    const abstracts = papers.filter((p) => p.abstract).map((p) => p.abstract!);
    expect(abstracts).toHaveLength(paragraphs.length);
    abstracts.forEach((a, i) => expect(paragraphs[i].endsWith(a)).toBe(true));
    expect(byLabel.get('Chung, Tse, Lee et al. (2018)')!.abstract).toMatch(/^Background: Public expenditure .* urgently needed\.$/);
    expect(byLabel.get('Gilburt, Slade, Rose et al. (2010)')!.abstract).toMatch(/^BackgroundLittle is known .* opportunities for peer support\.$/);
  });

  it('marks the two entries with neither title nor abstract as having no text', () => {
    expect(papers.filter((p) => !p.hasText).map((p) => p.label)).toEqual(['Ng, Pearson, Pang et al. (2012)', 'Lau, Siong, Tang et al. (2007)']);
  });

  it('reads study design and sample size from the abstracts', () => {
    expect(byLabel.get('Chung, Tse, Lee et al. (2018)')!.sampleSize).toBe('N = 193');
    expect(byLabel.get('Gilburt, Slade, Rose et al. (2010)')).toMatchObject({ design: 'qualitative', sampleSize: 'N = 40' });
    expect(byLabel.get('Strand, Gammon, Eng et al. (2018)')!.design).toBe('qualitative');
    expect(byLabel.get('Parkinson, Keddell & Walker (n.d.)')!.design).toBe('mixed methods');
  });

  it('finds glued section labels ("BackgroundLittle…", "AimsTo…")', () => {
    const gilburt = byLabel.get('Gilburt, Slade, Rose et al. (2010)')!;
    expect(gilburt.sections.map((s) => s.label)).toEqual(['Background', 'Aims', 'Method', 'Results', 'Conclusions']);
    const aims = gilburt.sections[1];
    expect(gilburt.abstract!.slice(aims.start, aims.end)).toBe("To explore patients' subjective experiences of traditional hospital services and residential alternatives to hospital.");
  });

  it('survives CRLF line endings', () => {
    const lf = parseSeedListing(readFileSync(SEED, 'utf8'));
    const crlf = parseSeedListing(readFileSync(SEED, 'utf8').replace(/\n/g, '\r\n'));
    expect(crlf).toHaveLength(9);
    expect(crlf.map((p) => [p.title, p.abstract, p.authors])).toEqual(lf.map((p) => [p.title, p.abstract, p.authors]));
  });
});

// The evaluation data, read into the product's own Paper records: PubMedQA (questions answerable
// from their own abstract), SciFact (claims with human-marked rationale sentences), the bundled
// corpus and the hand-written question sets in test/eval/. Every set has a fixed split: the part the
// calibration may fit on and the part the report is made from.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BUNDLED_CORPUS, PROJECT_ROOT } from '../../src/config.js';
import { normalisePaper } from '../../ingest/normalise-paper.js';
import { parseSource } from '../../ingest/parse-source.js';
import type { Paper, Section } from '../../src/types.js';

export type Split = 'fit' | 'test';

export const SHARED_DATASETS = path.resolve(PROJECT_ROOT, '..', 'shared', 'datasets');
export const QUESTION_SETS = path.join(PROJECT_ROOT, 'test', 'eval');

/** A stable half/half split by id: the same item always falls on the same side. */
export function splitOf(id: string): Split {
  return createHash('sha1').update(id).digest()[0] % 2 === 0 ? 'fit' : 'test';
}

// ------------------------------------------------------------------ PubMedQA

export interface PubmedQaItem {
  id: string;
  question: string;
  paperId: string;
  /** The abstract's own conclusion, which is not in the indexed text. */
  longAnswer: string;
  decision: 'yes' | 'no' | 'maybe';
  split: Split;
}

const sectionLabel = (raw: string) => raw[0] + raw.slice(1).toLowerCase();

/**
 * PubMedQA's expert-labelled items: each abstract is indexed as PubMed XML would give it (labelled
 * sections, no title, since PubMedQA's question is usually the title reworded).
 */
export function loadPubmedQa(dir = path.join(SHARED_DATASETS, 'pubmedqa-dev')): { papers: Paper[]; items: PubmedQaItem[] } {
  const raw = JSON.parse(readFileSync(path.join(dir, 'pqal_dev.json'), 'utf8')) as Record<
    string,
    { QUESTION: string; CONTEXTS: string[]; LABELS: string[]; YEAR: string; final_decision: 'yes' | 'no' | 'maybe'; LONG_ANSWER: string }
  >;
  const papers: Paper[] = [];
  const items: PubmedQaItem[] = [];
  for (const [pmid, item] of Object.entries(raw)) {
    let abstract = '';
    const sections: Section[] = [];
    item.CONTEXTS.forEach((body, i) => {
      if (abstract) abstract += ' ';
      const label = item.LABELS[i] ? sectionLabel(item.LABELS[i]) : null;
      if (label) abstract += `${label}: `;
      const start = abstract.length;
      abstract += body.replace(/\s+/g, ' ').trim();
      if (label) sections.push({ label, start, end: abstract.length });
    });
    const { paper } = normalisePaper({ pmid, abstract, sections, year: Number(item.YEAR) || null }, 'pqal_dev.json');
    papers.push(paper);
    items.push({ id: pmid, question: item.QUESTION, paperId: paper.id, longAnswer: item.LONG_ANSWER, decision: item.final_decision, split: splitOf(pmid) });
  }
  return { papers, items };
}

// ------------------------------------------------------------------ SciFact

export interface ScifactClaim {
  id: string;
  text: string;
  split: Split;
  /** Papers judged relevant (BEIR qrels). */
  relevant: Set<string>;
  /** Papers with human-marked rationale sentences, and those sentences as offsets into the abstract. */
  rationales: Map<string, Array<{ start: number; end: number }>>;
}

/**
 * BEIR SciFact with the original sentence split, so rationale indices become character spans of the
 * indexed abstract. Claims come from qrels/train.tsv (split "fit") and qrels/test.tsv ("test").
 */
export function loadScifact(dir = path.join(SHARED_DATASETS, 'scifact')): { papers: Paper[]; claims: ScifactClaim[] } {
  const lines = (file: string) => readFileSync(path.join(dir, file), 'utf8').split('\n').filter((l) => l.trim());
  const papers: Paper[] = lines('corpus.jsonl').map((line) => {
    const doc = JSON.parse(line) as { _id: string; title?: string; text?: string };
    const { paper } = normalisePaper({ title: doc.title || null, abstract: doc.text || null }, 'corpus.jsonl');
    return { ...paper, id: doc._id };
  });
  const byId = new Map(papers.map((p) => [p.id, p]));
  // Sentence offsets, where the original split still lines up with the normalised text.
  const spans = new Map<string, Array<{ start: number; end: number }>>();
  for (const line of lines('corpus_sentences.jsonl')) {
    const { _id, sentences } = JSON.parse(line) as { _id: string; sentences: string[] };
    const abstract = byId.get(_id)?.abstract;
    if (!abstract) continue;
    const out: Array<{ start: number; end: number }> = [];
    let at = 0;
    let ok = true;
    for (const s of sentences) {
      const text = s.replace(/\s+/g, ' ').trim();
      const start = abstract.indexOf(text, at);
      if (start < 0) {
        ok = false;
        break;
      }
      out.push({ start, end: start + text.length });
      at = start + text.length;
    }
    if (ok) spans.set(_id, out);
  }
  const relevant = new Map<string, { split: Split; docs: Set<string> }>();
  for (const [file, split] of [['qrels/train.tsv', 'fit'], ['qrels/test.tsv', 'test']] as const) {
    for (const line of lines(file).slice(1)) {
      const [qid, docId, score] = line.split('\t');
      if (Number(score) <= 0) continue;
      if (!relevant.has(qid)) relevant.set(qid, { split, docs: new Set() });
      relevant.get(qid)!.docs.add(docId);
    }
  }
  const claims: ScifactClaim[] = [];
  for (const line of lines('queries.jsonl')) {
    const q = JSON.parse(line) as { _id: string; text: string; metadata: Record<string, Array<{ sentences: number[] }>> };
    const rel = relevant.get(q._id);
    if (!rel) continue;
    const rationales = new Map<string, Array<{ start: number; end: number }>>();
    for (const [docId, evidence] of Object.entries(q.metadata ?? {})) {
      const docSpans = spans.get(docId);
      if (!docSpans) continue;
      const marked = [...new Set(evidence.flatMap((e) => e.sentences))].map((i) => docSpans[i]).filter(Boolean);
      if (marked.length) rationales.set(docId, marked);
    }
    claims.push({ id: q._id, text: q.text, split: rel.split, relevant: rel.docs, rationales });
  }
  return { papers, claims };
}

// ------------------------------------------------------------------ bundled corpus and written sets

export function loadBundled(): Paper[] {
  return parseSource(BUNDLED_CORPUS, readFileSync(BUNDLED_CORPUS, 'utf8')).papers.map((r) => normalisePaper(r, 'seed-abstracts.txt').paper);
}

export interface WrittenQuestion {
  id: string;
  /** Which index the question is asked over. */
  corpus: 'bundled' | 'pubmedqa';
  question: string;
  /** Papers that answer it: bundled labels or PubMedQA PMIDs (empty for near-misses). */
  expected: string[];
  /** For near-misses: the term(s) it names that the closest abstracts do not cover. */
  absent?: string[];
  /** For near-misses: the paper it is closest to, so the miss is near, not far. */
  near?: string;
  /** 'dev' may be looked at while developing; 'test' is run only for the report. Neither is fitted on. */
  split: 'dev' | 'test';
}

/** A hand-written set from test/eval/: its dev and test questions. */
export function loadWrittenSet(name: 'near-misses' | 'paraphrases'): WrittenQuestion[] {
  const file = path.join(QUESTION_SETS, `${name}.json`);
  if (!existsSync(file)) throw new Error(`${file} is missing`);
  type Entry = Omit<WrittenQuestion, 'split' | 'expected'> & { expected?: string[] };
  const set = JSON.parse(readFileSync(file, 'utf8')) as { dev: Entry[]; test: Entry[] };
  return (['dev', 'test'] as const).flatMap((split) => set[split].map((q) => ({ expected: [], ...q, split })));
}

/** Resolves paper references (bundled labels or PubMedQA PMIDs) to ids. */
export function resolveRefs(refs: string[], papers: Paper[], where: string): Set<string> {
  const byLabel = new Map(papers.map((p) => [p.label, p.id]));
  const byPmid = new Map(papers.filter((p) => p.pmid).map((p) => [p.pmid!, p.id]));
  return new Set(
    refs.map((ref) => {
      const id = byLabel.get(ref) ?? byPmid.get(ref);
      if (!id) throw new Error(`${where}: no paper labelled or with PMID "${ref}"`);
      return id;
    }),
  );
}

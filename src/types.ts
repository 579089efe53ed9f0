// The records every stage passes along: parse → normalise → chunk → embed → index → retrieve → answer → cite.

export interface Author {
  family: string;
  given?: string;
}

/** A labelled part of a structured abstract ("Methods", "Results"), with offsets into Paper.abstract. */
export interface Section {
  label: string;
  start: number;
  end: number;
}

/** The study designs ingest reads from an abstract's own words (ingest/extract-study-facts.ts). */
export const STUDY_DESIGNS = [
  'randomised controlled trial',
  'systematic review',
  'meta-analysis',
  'scoping review',
  'review',
  'mixed methods',
  'qualitative',
  'cohort',
  'cross-sectional survey',
  'survey',
  'case study',
  'longitudinal',
] as const;
export type StudyDesign = (typeof STUDY_DESIGNS)[number];

/** What a parser returns: only what the source said, nothing derived. */
export interface RawPaper {
  title?: string | null;
  authors?: Author[];
  authorsTruncated?: boolean;
  year?: number | null;
  venue?: string | null;
  volume?: string | null;
  issue?: string | null;
  pages?: string | null;
  doi?: string | null;
  pmid?: string | null;
  url?: string | null;
  abstract?: string | null;
  sections?: Section[];
  /** Where in the source file the record began (1-based line or record number), for error messages. */
  line?: number;
}

export interface Paper {
  id: string;
  title: string | null;
  label: string;
  authors: Author[];
  authorsTruncated: boolean;
  year: number | null;
  venue: string | null;
  volume: string | null;
  issue: string | null;
  pages: string | null;
  doi: string | null;
  pmid: string | null;
  url: string | null;
  abstract: string | null;
  sections: Section[];
  design: StudyDesign | null;
  sampleSize: string | null;
  hasText: boolean;
  sourceFile: string;
}

/** A sentence of an abstract as exact character offsets, so a quote is always a verbatim span. */
export interface SentenceSpan {
  start: number;
  end: number;
}

export interface Chunk {
  id: string;
  paperId: string;
  /** Position of the chunk within its paper. */
  ordinal: number;
  /** The text that gets embedded: the paper's title (or label) then the chunk's sentences. */
  text: string;
  /** Offsets into Paper.abstract of this chunk's sentences; empty for a title-only chunk. */
  sentences: SentenceSpan[];
}

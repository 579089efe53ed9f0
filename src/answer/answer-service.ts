// What the API and the CLI call: question in, cited answer out. Reads top-down:
// safety → rewrite follow-up → retrieve → answer (extractive or LLM) → check citations.
import type { Config } from '../config.js';
import type { Retriever, RetrievedPaper } from '../retrieve/retriever.js';
import type { SearchFilters } from '../retrieve/filters.js';
import { checkCitations, citationFor, type Citation, type Source } from './cite.js';
import { extractiveDraft } from './extractive-answerer.js';
import { LlmClient, type ChatTurn } from './llm-client.js';
import { fillTemplate, formatSources, loadPrompts, asData, type Prompts } from './prompts.js';
import { rewriteFollowUp, type Turn } from './rewrite-query.js';
import { detectCrisis } from './safety.js';
import { summarizePapers, type SummaryTheme } from './summarize.js';

export type AnswerMode = 'extractive' | 'llm';

export interface AskRequest {
  question: string;
  k?: number;
  filters?: SearchFilters;
  history?: Turn[];
  mode?: AnswerMode;
}

export interface PaperRef {
  paperId: string;
  label: string;
  title: string | null;
  year: number | null;
  score: number;
}

export interface AskResult {
  answer: string;
  answerable: boolean;
  mode: AnswerMode;
  citations: Citation[];
  /** When the answer is a refusal: the papers that came closest, not cited. */
  closest?: PaperRef[];
  notice?: string;
  safety?: 'crisis';
  /** The query actually searched (differs from the question for follow-ups). */
  query: string;
  timings: { retrieveMs: number; answerMs: number };
}

export type AskEvent = { type: 'sources'; citations: Citation[] } | { type: 'token'; text: string };

export interface SummarizeRequest {
  topic?: string;
  paperIds?: string[];
  filters?: SearchFilters;
  k?: number;
  mode?: AnswerMode;
}

export interface SummarizeResult {
  summary: string;
  themes: SummaryTheme[];
  citations: Citation[];
  mode: AnswerMode;
  notice?: string;
  timings: { retrieveMs: number; answerMs: number };
}

const NOT_ANSWERABLE = 'NOT_ANSWERABLE';

export interface AnswerServiceOptions {
  config: Config;
  retriever: Retriever;
  llm?: LlmClient;
  prompts?: Prompts;
}

export class AnswerService {
  private readonly config: Config;
  private readonly retriever: Retriever;
  readonly llm?: LlmClient;
  private readonly prompts: Prompts;

  constructor(options: AnswerServiceOptions) {
    this.config = options.config;
    this.retriever = options.retriever;
    this.llm = options.llm ?? (options.config.llm ? new LlmClient(options.config.llm) : undefined);
    this.prompts = options.prompts ?? loadPrompts();
  }

  get defaultMode(): AnswerMode {
    return this.llm ? 'llm' : 'extractive';
  }

  private idf = (term: string) => this.retriever.idf(term);

  /**
   * @example const result = await service.ask({ question: 'Does peer support reduce stigma?' });
   */
  async ask(request: AskRequest, onEvent: (e: AskEvent) => void = () => {}): Promise<AskResult> {
    const mode: AnswerMode = request.mode ?? this.defaultMode;
    const safety = detectCrisis(request.question) ?? undefined;
    // Crisis support comes before anything else, in the stream as in the final answer.
    if (safety) onEvent({ type: 'token', text: `${this.config.crisisMessage}\n\n` });
    const t0 = performance.now();
    const query = await this.standaloneQuery(request, mode);
    const retrieved = await this.retriever.retrieve(query, { k: request.k ?? this.config.retrievalK, filters: request.filters });
    const retrieveMs = performance.now() - t0;

    const t1 = performance.now();
    let result: Omit<AskResult, 'timings' | 'query'>;
    if (mode === 'llm' && this.llm) {
      result = await this.llmAnswer(query, request.question, retrieved, onEvent).catch((error: Error) => {
        const fallback = this.extractiveAnswer(query, retrieved, onEvent);
        return { ...fallback, notice: `The language model failed (${error.message.split('\n')[0]}); showing the extractive answer instead.` };
      });
    } else {
      result = this.extractiveAnswer(query, retrieved, onEvent);
      if (mode === 'llm') result.notice = 'No language model is configured (set LLM_BASE_URL and LLM_MODEL); showing the extractive answer.';
    }
    const answer = safety ? `${this.config.crisisMessage}\n\n${result.answer}`.trim() : result.answer;
    return {
      ...result,
      answer,
      ...(safety ? { safety } : {}),
      query,
      timings: { retrieveMs: round(retrieveMs), answerMs: round(performance.now() - t1) },
    };
  }

  private async standaloneQuery(request: AskRequest, mode: AnswerMode): Promise<string> {
    const history = (request.history ?? []).slice(-8);
    if (!history.some((t) => t.role === 'user')) return request.question;
    if (mode === 'llm' && this.llm) {
      try {
        const conversation = history.map((t) => `${t.role}: ${asData(t.content)}`).join('\n');
        const text = await this.llm.complete([
          { role: 'system', content: this.prompts.system },
          { role: 'user', content: fillTemplate(this.prompts.rewrite, { history: conversation, question: asData(request.question) }) },
        ]);
        const query = text.trim().split('\n')[0];
        if (query) return query;
      } catch {
        // fall through to the deterministic rewrite
      }
    }
    return rewriteFollowUp(request.question, history);
  }

  private refusal(retrieved: RetrievedPaper[]): Omit<AskResult, 'timings' | 'query'> {
    return {
      answer: 'The indexed abstracts do not clearly address this question, so there is nothing to cite. The closest papers are listed separately; try rephrasing, widening the filters, or adding papers.',
      answerable: false,
      mode: 'extractive',
      citations: [],
      closest: retrieved.slice(0, 3).map(paperRef),
    };
  }

  private extractiveAnswer(query: string, retrieved: RetrievedPaper[], onEvent: (e: AskEvent) => void): Omit<AskResult, 'timings' | 'query'> {
    const draft = extractiveDraft(query, retrieved, this.idf);
    if (!draft.answerable) {
      const refusal = this.refusal(retrieved);
      onEvent({ type: 'sources', citations: [] });
      streamWords(refusal.answer, onEvent);
      return refusal;
    }
    const checked = checkCitations(draft.answer, draft.sources, this.idf);
    onEvent({ type: 'sources', citations: checked.citations });
    streamWords(checked.answer, onEvent);
    return { answer: checked.answer, answerable: true, mode: 'extractive', citations: checked.citations };
  }

  private async llmAnswer(query: string, question: string, retrieved: RetrievedPaper[], onEvent: (e: AskEvent) => void): Promise<Omit<AskResult, 'timings' | 'query'>> {
    const sources: Source[] = retrieved.filter((r) => r.paper.abstract || r.paper.title).map((r, i) => ({ n: i + 1, paper: r.paper, score: r.score }));
    if (sources.length === 0) {
      onEvent({ type: 'sources', citations: [] });
      return { ...this.refusal(retrieved), mode: 'llm' };
    }
    onEvent({ type: 'sources', citations: sources.map((s) => citationFor(s)) });
    const turns: ChatTurn[] = [
      { role: 'system', content: this.prompts.system },
      { role: 'user', content: fillTemplate(this.prompts.answer, { question: asData(question === query ? question : `${question} (in context: ${query})`), sources: formatSources(sources) }) },
    ];
    const text = await this.llm!.stream(turns, (delta) => onEvent({ type: 'token', text: delta }));
    if (text.trim().startsWith(NOT_ANSWERABLE) || !text.trim()) return { ...this.refusal(retrieved), mode: 'llm' };
    const checked = checkCitations(text, sources, this.idf);
    if (checked.citations.length === 0) {
      return { ...this.refusal(retrieved), mode: 'llm', notice: 'The language model answered without citing any source, so its answer was withheld.' };
    }
    return {
      answer: checked.answer,
      answerable: true,
      mode: 'llm',
      citations: checked.citations,
      notice: checked.notices.length ? checked.notices.join(' ') : undefined,
    };
  }

  /**
   * A structured, cited summary of a topic or of given papers.
   * @example await service.summarize({ topic: 'peer support and stigma' })
   */
  async summarize(request: SummarizeRequest): Promise<SummarizeResult> {
    const mode: AnswerMode = request.mode ?? this.defaultMode;
    const t0 = performance.now();
    let papers: Array<{ paper: RetrievedPaper['paper']; score: number }>;
    if (request.paperIds?.length) {
      papers = request.paperIds.map((id) => this.retriever.papers.get(id)).filter((p) => p !== undefined).map((paper) => ({ paper, score: 1 }));
    } else {
      papers = await this.retriever.retrieve(request.topic ?? '', { k: request.k ?? 8, filters: request.filters });
    }
    const retrieveMs = performance.now() - t0;
    const t1 = performance.now();
    const draft = summarizePapers(request.topic, papers, this.idf);
    let result: Omit<SummarizeResult, 'timings'> = { summary: draft.summary, themes: draft.themes, citations: [], mode: 'extractive' };
    if (draft.sources.length) {
      const checked = checkCitations(draft.summary, draft.sources, this.idf);
      result.citations = checked.citations;
    }
    if (mode === 'llm' && this.llm && draft.sources.length) {
      try {
        const text = await this.llm.complete([
          { role: 'system', content: this.prompts.system },
          { role: 'user', content: fillTemplate(this.prompts.summary, { topic: asData(request.topic ?? 'the selected papers'), sources: formatSources(draft.sources) }) },
        ]);
        const checked = checkCitations(text, draft.sources, this.idf);
        if (checked.citations.length) {
          result = { summary: checked.answer, themes: [], citations: checked.citations, mode: 'llm', notice: checked.notices.join(' ') || undefined };
        }
      } catch (error) {
        result.notice = `The language model failed (${(error as Error).message.split('\n')[0]}); showing the extractive summary instead.`;
      }
    }
    if (!draft.sources.length) result.summary = 'None of the selected papers has an abstract to summarise.';
    return { ...result, timings: { retrieveMs: round(retrieveMs), answerMs: round(performance.now() - t1) } };
  }
}

export function paperRef(r: RetrievedPaper): PaperRef {
  return { paperId: r.paper.id, label: r.paper.label, title: r.paper.title, year: r.paper.year, score: round(r.score, 3) };
}

/** An answer computed at once still reaches a stream as word-sized tokens. */
function streamWords(text: string, onEvent: (e: AskEvent) => void): void {
  for (const piece of text.match(/\S+\s*/g) ?? []) onEvent({ type: 'token', text: piece });
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

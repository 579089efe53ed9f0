// What the API and the CLI call: question in, cited answer out. Reads top-down:
// safety → scope a follow-up → retrieve → read the question and the papers → decide answerability
// (one calibrated gate, for both answerers) → quote (extractive) or write and check (LLM) → segments.
import type { Config } from '../config.js';
import type { Retriever, RetrievedPaper } from '../retrieve/retriever.js';
import type { Corpus } from '../store/corpus.js';
import type { SearchFilters } from '../store/filters.js';
import { decideAnswerability, type AnswerabilityDecision } from './answerability.js';
import { calibrationFor, type Calibration } from './calibration.js';
import { checkCitations, citeQuotes, collectCitations, sourceCitations, type CitedAnswer, type Citation, type Source } from './cite.js';
import { classifyFollowUp, type Turn } from './follow-up.js';
import { LlmClient, type ChatTurn } from './llm-client.js';
import { paperEvidence, topicAnchor } from './paper-evidence.js';
import { fillTemplate, formatSources, loadPrompts, asData, type Prompts } from './prompts.js';
import { analyseQuestion, topicTerms, type AnalysedQuestion } from './question.js';
import { refusalText } from './refusal.js';
import { detectCrisis } from './safety.js';
import { renderAnswer, type AnswerSegment } from './segments.js';
import { selectEvidence } from './select-evidence.js';
import { respell, respelledNotice } from '../text/spelling.js';
import { summarizeChosen, summarizeTopic, type PaperFinding, type SummaryDraft, type SummaryTheme } from './summarize.js';

export type AnswerMode = 'extractive' | 'llm';

export interface AskRequest {
  question: string;
  k?: number;
  filters?: SearchFilters;
  history?: Turn[];
  mode?: AnswerMode;
  /** Aborted when the client goes away: an LLM request in flight is cancelled with it. */
  signal?: AbortSignal;
}

export interface PaperRef {
  paperId: string;
  label: string;
  title: string | null;
  year: number | null;
  score: number;
}

export interface AskResult {
  /** The answer with [n] markers, rendered from `segments`. */
  answer: string;
  /** The answer as data: each piece of text with the exact spans it cites. */
  segments: AnswerSegment[];
  answerable: boolean;
  mode: AnswerMode;
  citations: Citation[];
  /** The calibrated gate: the best paper's probability of answering, and the bar it had to clear. */
  answerability: { probability: number; threshold: number };
  /** When the answer is a refusal: the topic words the closest papers lack, and those papers, not cited. */
  missing?: string[];
  closest?: PaperRef[];
  notice?: string;
  safety?: 'crisis';
  /** The query actually searched (differs from the question for follow-ups, and where a misspelt word was respelled). */
  query: string;
  /** For a follow-up answered from the previous answer's papers: those papers. */
  scopedTo?: string[];
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
  /** The summary as data: "## Theme" headings, agreement notes and cited sentences. */
  segments: AnswerSegment[];
  /** Themes by what the papers report, with which papers report each and whether they agree. */
  themes: SummaryTheme[];
  /** For chosen papers: each one's main finding, or why it has none, in the order asked. */
  findings?: PaperFinding[];
  citations: Citation[];
  mode: AnswerMode;
  /** Set when fewer than two papers address the topic and the reply is an answer instead. */
  fallback?: 'answer';
  /** With that fallback, when nothing answers: the closest papers, not cited, and the topic's words no abstract mentions. */
  closest?: PaperRef[];
  missing?: string[];
  notice?: string;
  timings: { retrieveMs: number; answerMs: number };
}

const NOT_ANSWERABLE = 'NOT_ANSWERABLE';
/** The share of a topic's words (idf-weighted) a paper must mention to be summarised. Chosen on the dev topics (README, Quality). */
export const SUMMARY_COVERAGE = 0.6;

export interface AnswerServiceOptions {
  config: Config;
  /** The papers and term statistics the answers are read against. */
  corpus: Corpus;
  retriever: Retriever;
  llm?: LlmClient;
  prompts?: Prompts;
  /** The answer layer's fitted parameters; by default those fitted for the retriever's embedding model. */
  calibration?: Calibration;
}

/** What is asked, what is searched, and from which papers: a follow-up changes all three. */
interface Plan {
  /** Read for intent and for which sentences answer. */
  question: AnalysedQuestion;
  /** Read for answerability: a follow-up is judged with the topic of the question it follows. */
  gate: AnalysedQuestion;
  query: string;
  filters?: SearchFilters;
  scopedTo?: string[];
}

type Draft = Omit<AskResult, 'timings' | 'query' | 'answerability' | 'scopedTo'>;

export class AnswerService {
  private readonly config: Config;
  private readonly corpus: Corpus;
  private readonly retriever: Retriever;
  readonly llm?: LlmClient;
  private readonly prompts: Prompts;
  readonly calibration: Calibration;

  constructor(options: AnswerServiceOptions) {
    this.config = options.config;
    this.corpus = options.corpus;
    this.retriever = options.retriever;
    this.llm = options.llm ?? (options.config.llm ? new LlmClient(options.config.llm) : undefined);
    this.prompts = options.prompts ?? loadPrompts();
    this.calibration = options.calibration ?? calibrationFor(this.corpus.manifest.embedding.modelId).calibration;
  }

  get defaultMode(): AnswerMode {
    return this.llm ? 'llm' : 'extractive';
  }

  private analyse(text: string): AnalysedQuestion {
    return analyseQuestion(text, this.corpus.termStats);
  }

  /**
   * @example const result = await service.ask({ question: 'Does peer support reduce stigma?' });
   */
  async ask(request: AskRequest, onEvent: (e: AskEvent) => void = () => {}): Promise<AskResult> {
    const mode: AnswerMode = request.mode ?? this.defaultMode;
    const safety = detectCrisis(request.question) ?? undefined;
    // Crisis support comes before anything else, in the stream as in the final answer.
    if (safety) onEvent({ type: 'token', text: `${this.config.crisisMessage}\n\n` });
    const t0 = performance.now();
    const { text: asked, respelled } = respell(request.question, this.corpus.termStats);
    // Earlier questions too, which a follow-up is read with (their notices were given then).
    const history = request.history?.map((t) => (t.role === 'user' ? { ...t, content: respell(t.content, this.corpus.termStats).text } : t));
    request = { ...request, question: asked, history };
    const plan = await this.plan(request);
    const k = Math.max(request.k ?? this.config.retrievalK, plan.scopedTo?.length ?? 0);
    const retrieved = await this.retriever.retrieve(plan.query, { k, filters: plan.filters, passagesPerPaper: 3 });
    const retrieveMs = performance.now() - t0;

    const t1 = performance.now();
    const decision = this.decide(plan.gate, retrieved);
    let result: Draft;
    if (!decision.answerable && safety) {
      // To someone in crisis the pointer to support is the whole reply: not "None of the indexed
      // abstracts mention “hopeless”", nor a list of papers.
      result = { answer: '', segments: [], answerable: false, mode: mode === 'llm' && this.llm ? 'llm' : 'extractive', citations: [] };
    } else if (!decision.answerable) {
      result = this.refusal(plan.question, decision, retrieved, mode === 'llm' && this.llm ? 'llm' : 'extractive', onEvent);
    } else if (mode === 'llm' && this.llm) {
      result = await this.llmAnswer(plan, decision, retrieved, request.history ?? [], onEvent, request.signal).catch((error: Error) => {
        const fallback = this.extractiveAnswer(plan, decision, retrieved, onEvent);
        return { ...fallback, notice: `The language model failed (${error.message.split('\n')[0]}); showing the extractive answer instead.` };
      });
    } else {
      result = this.extractiveAnswer(plan, decision, retrieved, onEvent);
      if (mode === 'llm') result.notice = 'No language model is configured (set LLM_BASE_URL and LLM_MODEL); showing the extractive answer.';
    }
    const answer = safety ? `${this.config.crisisMessage}\n\n${result.answer}`.trim() : result.answer;
    const notice = [respelledNotice(respelled), result.notice].filter(Boolean).join(' ') || undefined;
    return {
      ...result,
      answer,
      notice,
      // The pointer to support leads the segments too: a client that renders segments shows it.
      segments: safety ? [{ text: this.config.crisisMessage, citations: [] }, ...result.segments] : result.segments,
      answerability: { probability: round(decision.probability, 3), threshold: round(this.calibration.answerability.threshold, 3) },
      ...(safety ? { safety } : {}),
      query: plan.query,
      ...(plan.scopedTo ? { scopedTo: plan.scopedTo } : {}),
      timings: { retrieveMs: round(retrieveMs), answerMs: round(performance.now() - t1) },
    };
  }

  /** The papers that retrieval found, read against the question and judged by the calibrated gate. */
  private decide(q: AnalysedQuestion, retrieved: RetrievedPaper[]): AnswerabilityDecision {
    return decideAnswerability(
      retrieved.map((r, i) => paperEvidence(q, r, i + 1)),
      this.calibration,
    );
  }

  private async plan(request: AskRequest): Promise<Plan> {
    const question = this.analyse(request.question);
    const followUp = classifyFollowUp(request.question, (request.history ?? []).slice(-8));
    const chosen = request.filters?.paperIds ?? [];
    if (followUp.kind === 'none' && chosen.length && topicTerms(question).length === 0) {
      // "How many participants were there?" about papers the user chose: those papers are the
      // topic, as the previous answer's papers are for a follow-up.
      const about = chosen.map((id) => this.corpus.paper(id)).map((p) => p?.title ?? p?.abstract?.slice(0, 300) ?? '').join(' ');
      const joined = `${about} ${request.question}`;
      return { question, gate: this.analyse(joined), query: joined, filters: request.filters, scopedTo: chosen };
    }
    if (followUp.kind === 'none') return { question, gate: question, query: request.question, filters: request.filters };
    const joined = `${followUp.previous} ${request.question}`;
    if (followUp.kind === 'extended') {
      // What the follow-up swaps in ("children") is what it asks about: its weightiest new word that
      // some paper has is required of an answer. Other new words ("treatment" in "What about coercive
      // treatment?") and words no paper has (perhaps spelt otherwise: "wellbeing") are left to the gate.
      const analysed = this.analyse(joined);
      const asked = analysed.terms.filter((t) => followUp.asks.includes(t.term) && t.known).sort((a, b) => b.weight - a.weight)[0];
      const q = { ...analysed, terms: analysed.terms.map((t) => (t === asked ? { ...t, required: true } : t)) };
      return { question: q, gate: q, query: joined, filters: request.filters };
    }
    // Scoped: answer from the previous answer's papers; without them in the history, from the papers
    // that answer the previous question.
    let paperIds = followUp.paperIds;
    if (!paperIds) {
      const earlier = await this.retriever.retrieve(followUp.previous, { k: this.config.retrievalK, filters: request.filters, passagesPerPaper: 3 });
      paperIds = this.decide(this.analyse(followUp.previous), earlier).answering.map((j) => j.evidence.paper.id);
    }
    if (paperIds.length === 0) return { question, gate: question, query: request.question, filters: request.filters };
    const allowed = request.filters?.paperIds ? paperIds.filter((id) => request.filters!.paperIds!.includes(id)) : paperIds;
    return { question, gate: this.analyse(joined), query: joined, filters: { ...request.filters, paperIds: allowed }, scopedTo: allowed };
  }

  private refusal(q: AnalysedQuestion, decision: AnswerabilityDecision, retrieved: RetrievedPaper[], mode: AnswerMode, onEvent: (e: AskEvent) => void): Draft {
    const closest = closestPapers(decision, retrieved);
    const { text, missing } = refusalText(q, decision);
    onEvent({ type: 'sources', citations: [] });
    streamWords(text, onEvent);
    return {
      answer: text,
      segments: [{ text, citations: [] }],
      answerable: false,
      mode,
      citations: [],
      ...(missing.length ? { missing } : {}),
      closest,
    };
  }

  private extractiveAnswer(plan: Plan, decision: AnswerabilityDecision, retrieved: RetrievedPaper[], onEvent: (e: AskEvent) => void): Draft {
    // The gate judged the papers with the follow-up's topic; the quotes answer the question itself,
    // unless read that way a paper has nothing it may quote (a title the follow-up alone does not restate).
    const answering =
      plan.gate === plan.question
        ? decision.answering
        : decision.answering.map((j) => {
            const again = paperEvidence(plan.question, retrieved.find((r) => r.paper.id === j.evidence.paper.id)!, j.evidence.rank);
            return again.sentences.some((s) => s.eligible) ? { ...j, evidence: again } : j;
          });
    const quotes = selectEvidence(answering, this.calibration, plan.question.intent);
    if (!quotes.length) return this.refusal(plan.question, decision, retrieved, 'extractive', onEvent);
    const cited = citeQuotes(quotes.map((q) => ({ paper: q.evidence.paper, sentence: q.sentence.sentence, support: q.sentence.context, paperScore: q.evidence.retrieval })));
    return this.deliver(cited, 'extractive', onEvent);
  }

  private deliver(cited: CitedAnswer, mode: AnswerMode, onEvent: (e: AskEvent) => void, stream = true): Draft {
    const answer = renderAnswer(cited.segments);
    if (stream) {
      onEvent({ type: 'sources', citations: cited.citations });
      streamWords(answer, onEvent);
    }
    return { answer, segments: cited.segments, answerable: true, mode, citations: cited.citations, notice: cited.notices.length ? cited.notices.join(' ') : undefined };
  }

  private async llmAnswer(plan: Plan, decision: AnswerabilityDecision, retrieved: RetrievedPaper[], history: Turn[], onEvent: (e: AskEvent) => void, signal?: AbortSignal): Promise<Draft> {
    // The model sees only the papers that passed the gate, each of which answers on its own.
    const sources: Source[] = decision.answering.map((j, i) => ({ n: i + 1, paper: j.evidence.paper, score: j.evidence.retrieval }));
    onEvent({ type: 'sources', citations: sourceCitations(sources) });
    const previous = plan.question === plan.gate ? null : [...history].reverse().find((t) => t.role === 'user')?.content;
    const asked = previous ? `${plan.question.text} (a follow-up to: ${previous})` : plan.question.text;
    const turns: ChatTurn[] = [
      { role: 'system', content: this.prompts.system },
      { role: 'user', content: fillTemplate(this.prompts.answer, { question: asData(asked), sources: formatSources(sources) }) },
    ];
    const text = await this.llm!.stream(turns, (delta) => onEvent({ type: 'token', text: delta }), signal);
    if (text.trim().startsWith(NOT_ANSWERABLE) || !text.trim()) return this.refusal(plan.question, decision, retrieved, 'llm', () => {});
    const checked = checkCitations(text, sources, this.corpus.termStats, this.calibration);
    if (checked.citations.length === 0) {
      return { ...this.refusal(plan.question, decision, retrieved, 'llm', () => {}), notice: 'The language model answered without citing any source, so its answer was withheld.' };
    }
    return this.deliver(checked, 'llm', onEvent, false);
  }

  /**
   * A cited summary. Of a topic: only from papers that pass the same gate as answers, grouped into
   * themes by what they report, with whether the papers agree; with fewer than two such papers, an
   * answer instead. Of chosen papers: each one's main finding, then what they share.
   * @example await service.summarize({ topic: 'peer support and stigma' })
   */
  async summarize(request: SummarizeRequest): Promise<SummarizeResult> {
    if (!request.topic) return this.summarizeRespelled(request);
    const { text, respelled } = respell(request.topic, this.corpus.termStats);
    const result = await this.summarizeRespelled({ ...request, topic: text });
    const notice = [respelledNotice(respelled), result.notice].filter(Boolean).join(' ') || undefined;
    return { ...result, notice };
  }

  private async summarizeRespelled(request: SummarizeRequest): Promise<SummarizeResult> {
    const mode: AnswerMode = request.mode ?? this.defaultMode;
    const t0 = performance.now();
    const topic = request.topic ? this.analyse(request.topic) : null;
    let draft: SummaryDraft;
    let retrieveMs = 0;
    if (request.paperIds?.length) {
      const papers = [...new Set(request.paperIds)].map((id) => this.corpus.paper(id) ?? { id, missing: true as const });
      draft = summarizeChosen(papers, topic, this.corpus.termStats);
    } else {
      const retrieved = await this.retriever.retrieve(request.topic!, { k: request.k ?? 8, filters: request.filters, passagesPerPaper: 3 });
      retrieveMs = performance.now() - t0;
      const decision = this.decide(topic!, retrieved);
      const threshold = this.calibration.answerability.threshold;
      // A summary is stricter than an answer: a paper must also cover most of the topic, since
      // it contributes sentences the reader did not ask about one by one.
      // It must also mention the topic's most specific word: "families" in "support for families
      // affected by mental illness", which a paper about mental illness in general does not.
      const anchor = topicAnchor(topic!);
      const onTopic = decision.judged.filter(
        (j) => j.probability >= threshold && j.lacking.length === 0 && !j.evidence.titleOnly && j.evidence.coverage >= SUMMARY_COVERAGE && (!anchor || j.evidence.covered.some((t) => t.term === anchor.term)),
      );
      if (onTopic.length < 2) return this.answerInstead(request, decision, retrieved, t0);
      draft = summarizeTopic(topic!, onTopic, this.corpus.termStats);
      // Two papers passed, but one said nothing on the topic: that is not a summary of two.
      if (draft.sources.length < 2) return this.answerInstead(request, decision, retrieved, t0);
    }
    const t1 = performance.now();
    let result: Omit<SummarizeResult, 'timings'> = { summary: draft.summary, segments: draft.segments, themes: draft.themes, ...(draft.findings ? { findings: draft.findings } : {}), citations: draft.citations, mode: 'extractive' };
    if (mode === 'llm' && this.llm && draft.sources.length) {
      try {
        const text = await this.llm.complete([
          { role: 'system', content: this.prompts.system },
          { role: 'user', content: fillTemplate(this.prompts.summary, { topic: asData(request.topic ?? 'the selected papers'), evidence: formatEvidence(draft), sources: formatSources(draft.sources) }) },
        ]);
        const checked = checkCitations(text, draft.sources, this.corpus.termStats, this.calibration);
        // A sentence the checker cannot support is dropped, not shown with a warning.
        const supported = checked.segments.filter((seg) => seg.text.startsWith('## ') || (seg.citations.length > 0 && seg.citations.every((c) => c.supported)));
        // A heading whose sentences were all dropped goes with them.
        const kept = supported.filter((seg, i) => !seg.text.startsWith('## ') || (supported[i + 1] && !supported[i + 1].text.startsWith('## ')));
        const dropped = checked.segments.filter((seg) => !seg.text.startsWith('## ')).length - kept.filter((seg) => !seg.text.startsWith('## ')).length;
        if (kept.some((seg) => seg.citations.length)) {
          const citations = collectCitations(kept, draft.sources, () => 1);
          result = { ...result, summary: renderAnswer(kept), segments: kept, citations, mode: 'llm', notice: dropped ? `${dropped} sentence${dropped === 1 ? '' : 's'} of the model's summary had no supporting source and ${dropped === 1 ? 'was' : 'were'} left out.` : undefined };
        } else {
          result.notice = 'The language model wrote no sentence its sources support; showing the extractive summary instead.';
        }
      } catch (error) {
        result.notice = `The language model failed (${(error as Error).message.split('\n')[0]}); showing the extractive summary instead.`;
      }
    }
    if (mode === 'llm' && !this.llm) result.notice = [result.notice, 'No language model is configured (set LLM_BASE_URL and LLM_MODEL); showing the extractive summary.'].filter(Boolean).join(' ');
    if (!draft.sources.length) {
      const inIndex = (draft.findings ?? []).some((f) => f.missing !== 'not in the index');
      const text = inIndex ? 'None of the selected papers has an abstract to summarise.' : 'None of the selected papers is in the index.';
      result = { ...result, summary: text, segments: [{ text, citations: [] }] };
    }
    return { ...result, timings: { retrieveMs: round(retrieveMs), answerMs: round(performance.now() - t1) } };
  }

  /**
   * Fewer than two papers address the topic: say so plainly, and answer the topic as a question
   * instead, through the answer gate, from papers with an abstract (a summary quotes findings, which
   * a title is not); with no answer, list the closest papers, uncited.
   */
  private async answerInstead(request: SummarizeRequest, decision: AnswerabilityDecision, retrieved: RetrievedPaper[], t0: number): Promise<SummarizeResult> {
    const withAbstract = retrieved.filter((r) => r.paper.abstract).map((r) => r.paper.id);
    const allowed = request.filters?.paperIds ? withAbstract.filter((id) => request.filters!.paperIds!.includes(id)) : withAbstract;
    const answer = allowed.length ? await this.ask({ question: request.topic!, k: request.k, filters: { ...request.filters, paperIds: allowed }, mode: request.mode }) : null;
    const answered = answer?.answerable ? answer : null;
    const papers = new Set(answered?.citations.map((c) => c.paperId));
    const lead =
      papers.size === 1
        ? 'Only one of the indexed papers addresses this topic, so here is what it says rather than a summary.'
        : answered
          ? 'Fewer than two of the indexed papers address this topic as a whole, so here is an answer rather than a summary.'
          : 'Fewer than two of the indexed papers address this topic, so there is nothing to summarise.';
    // With no answer either, the answer's refusal says why (the words no abstract mentions).
    const segments = [{ text: lead, citations: [] }, ...(answered?.segments ?? (answer ? [{ text: answer.answer, citations: [] }] : []))];
    const closest = closestPapers(decision, retrieved);
    return {
      summary: renderAnswer(segments),
      segments,
      themes: [],
      citations: answered?.citations ?? [],
      mode: answer?.mode ?? 'extractive',
      fallback: 'answer',
      ...(answered ? {} : { closest: answer?.closest ?? closest }),
      ...(answer?.missing ? { missing: answer.missing } : {}),
      ...(answer?.notice ? { notice: answer.notice } : {}),
      timings: { retrieveMs: round(performance.now() - t0), answerMs: 0 },
    };
  }
}

/** The grouped evidence an LLM writes a summary from: themes, each with its agreement and its quoted sentences. */
function formatEvidence(draft: SummaryDraft): string {
  // Attribute values carry a user's topic and the rule's note: quotes escaped, like tags.
  const attr = (text: string) => asData(text).replace(/"/g, '&quot;');
  const themes = draft.themes.map((t, i) =>
    [`<theme n="${i + 1}" name="${attr(t.theme)}" agreement="${attr(t.note)}">`, ...t.sentences.map((s) => `[${s.n}] ${asData(s.text)}`), '</theme>'].join('\n'),
  );
  const findings = (draft.findings ?? []).map((f) => (f.sentence ? `<finding>[${f.sentence.n}] ${asData(f.sentence.text)}</finding>` : `<finding>${asData(f.label)}: ${f.missing}</finding>`));
  return [...findings, ...themes].join('\n');
}

/** What a refusal lists, uncited: the three papers the gate judged closest (or retrieval ranked first). */
function closestPapers(decision: AnswerabilityDecision, retrieved: RetrievedPaper[]): PaperRef[] {
  const ranked = decision.judged.length ? decision.judged.map((j) => ({ paper: j.evidence.paper, score: j.evidence.retrieval })) : retrieved;
  return ranked.slice(0, 3).map(paperRef);
}

export function paperRef(r: { paper: RetrievedPaper['paper']; score: number }): PaperRef {
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

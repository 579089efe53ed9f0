// The answer-trust issue's examples (test/eval/why-examples.json): what each must do, checked the
// same way by `npm run eval` and by the test suite.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AskResult } from '../../src/answer/answer-service.js';
import type { Turn } from '../../src/answer/follow-up.js';
import type { Paper } from '../../src/types.js';
import { QUESTION_SETS, resolveRefs } from './datasets.js';

export interface WhyExample {
  id: string;
  question: string;
  history?: Turn[];
  expect?: string;
  quote?: string;
  quoteAny?: string[];
  notQuote?: string;
  only?: boolean;
  refuse?: boolean;
  missing?: string;
}

/** Whether a result does what an example says; the reason when it does not. */
export function checkWhyExample(ex: WhyExample, result: AskResult, papers: Paper[]): string | null {
  if (ex.refuse) {
    if (result.answerable) return `answered, citing ${result.citations.map((c) => c.label).join('; ')}`;
    if (ex.missing && !(result.missing ?? []).some((m) => m.toLowerCase().includes(ex.missing!.toLowerCase()))) return `refused without naming "${ex.missing}" (${result.answer})`;
    return null;
  }
  const [id] = resolveRefs([ex.expect!], papers, ex.id);
  if (!result.answerable) return `refused: ${result.answer}`;
  const citation = result.citations.find((c) => c.paperId === id);
  if (!citation) return `cited ${result.citations.map((c) => c.label).join('; ')}`;
  if (ex.only && result.citations.length > 1) return `also cited ${result.citations.filter((c) => c.paperId !== id).map((c) => c.label).join('; ')}`;
  const quoted = citation.spans.map((s) => s.text).join(' ');
  if (ex.quote && !quoted.includes(ex.quote)) return `quoted "${quoted}"`;
  if (ex.quoteAny && !ex.quoteAny.some((q) => quoted.includes(q))) return `quoted "${quoted}"`;
  if (ex.notQuote && result.citations.some((c) => c.spans.some((s) => s.text.includes(ex.notQuote!)))) return `quoted "${ex.notQuote}"`;
  return null;
}

export function loadWhyExamples(): WhyExample[] {
  return (JSON.parse(readFileSync(path.join(QUESTION_SETS, 'why-examples.json'), 'utf8')) as { examples: WhyExample[] }).examples;
}

/** An example's history with its "@label" paper references resolved to ids. */
export function resolveHistory(ex: WhyExample, papers: Paper[]): Turn[] | undefined {
  return ex.history?.map((t) => ({ ...t, ...(t.paperIds ? { paperIds: t.paperIds.map((ref) => [...resolveRefs([ref.replace(/^@/, '')], papers, ex.id)][0]) } : {}) }));
}

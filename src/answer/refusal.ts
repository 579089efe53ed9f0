// A refusal says why: the topic word the closest papers lack ("None of the indexed abstracts
// mention veterans"), and what those papers are about, in the question's own words.
import type { AnswerabilityDecision, JudgedPaper } from './answerability.js';
import type { AnalysedQuestion, QuestionTerm } from './question.js';
import { stem, words } from '../text/terms.js';

/** The question's words for the given terms, as phrases in the question's order: "peer support", "self-stigma". */
export function phrasesFor(q: AnalysedQuestion, terms: QuestionTerm[]): string[] {
  const wanted = new Set(terms.map((t) => t.term));
  const phrases: string[] = [];
  let current: string[] = [];
  for (const token of q.text.match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu) ?? []) {
    const stems = words(token).map(stem);
    if (stems.length && stems.every((s) => wanted.has(s))) current.push(token.replace(/['’]s$/, ''));
    else if (current.length) {
      phrases.push(current.join(' '));
      current = [];
    }
  }
  if (current.length) phrases.push(current.join(' '));
  return [...new Set(phrases)];
}

function list(items: string[]): string {
  const quoted = items.map((x) => `“${x}”`);
  return quoted.length <= 1 ? (quoted[0] ?? '') : `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}`;
}

/**
 * @example refusalText(q, decision).text // 'None of the indexed abstracts mention “veterans”. The closest papers are about “peer support” and “self-stigma”; …'
 */
export function refusalText(q: AnalysedQuestion, decision: AnswerabilityDecision): { text: string; missing: string[] } {
  const tail = 'They are listed separately, not cited; try rephrasing, widening the filters, or adding papers.';
  // Why the paper that came closest to answering did not: after "What about children?", the paper
  // on the last question, which does not mention children.
  const top = decision.judged.reduce<JudgedPaper | undefined>((best, j) => (!best || j.probability > best.probability ? j : best), undefined);
  if (!top) {
    return { text: 'No indexed paper matches this question (or the filters leave none), so there is nothing to cite. Try rephrasing, widening the filters, or adding papers.', missing: [] };
  }
  // Name the focus terms it lacks, with the rarest word missing, which may be what the question is
  // about ("mercury" in "the boiling point of mercury at sea level"), and a lacking word in a
  // qualifier phrase with the rest of its phrase; else just the rarest word missing. After "What
  // about children?", only what the follow-up swapped in: the last question was answered as it was.
  const absent = top.evidence.missing;
  const phrase = top.lacking.some((t) => t.qualifier) ? absent.filter((t) => t.qualifier) : [];
  const swapped = top.lacking.filter((t) => t.required);
  const named = swapped.length ? swapped : top.lacking.length ? [...new Set([...absent.slice(0, 1), ...top.lacking, ...phrase])].slice(0, 4) : absent.slice(0, 1);
  const nowhere = named.every((t) => !t.known);
  // Each with the missing words beside it, as the question wrote them ("police officers", not
  // "officers"); when no abstract has the named words, only neighbours no abstract has either.
  const namedTerms = new Set(named.map((t) => t.term));
  const beside = absent.filter((t) => !nowhere || !t.known);
  const missing = phrasesFor(q, [...new Set([...named, ...beside])]).filter((p) => words(p).some((w) => namedTerms.has(stem(w))));
  const about = phrasesFor(q, top.evidence.covered);
  const closest = about.length ? `The closest papers are about ${list(about)}. ${tail}` : `The closest papers share little with the question. ${tail}`;
  if (missing.length && nowhere) return { text: `None of the indexed abstracts mention ${list(missing)}. ${closest}`, missing };
  if (missing.length) return { text: `The closest abstracts do not mention ${list(missing)}. ${closest}`, missing };
  return { text: `The indexed abstracts do not clearly answer this question, so there is nothing to cite. ${closest}`, missing: [] };
}

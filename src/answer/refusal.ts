// A refusal says why: the topic word the closest papers lack ("None of the indexed abstracts
// mention veterans"), and what those papers are about, in the question's own words.
import type { AnswerabilityDecision } from './answerability.js';
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
  // Name what is missing: the focus terms the closest paper lacks, else its rarest missing topic word.
  const lacking = decision.judged[0]?.lacking ?? [];
  const rarest = decision.judged[0]?.evidence.missing.slice(0, 1) ?? [];
  // A lacking word in a qualifier phrase is named with the rest of its phrase ("police officers"),
  // and beside them the rarest word missing, which may be what the question is about: "mercury"
  // in "the boiling point of mercury at sea level".
  const phrase = lacking.some((t) => t.qualifier) ? decision.missing.filter((t) => t.qualifier) : [];
  const named = lacking.length ? [...new Set([...rarest, ...lacking, ...phrase])].slice(0, 4) : decision.missing.slice(0, 1);
  // Named with the missing words beside them, as the question wrote them: "police officers", not "officers".
  const namedTerms = new Set(named.map((t) => t.term));
  const missing = phrasesFor(q, [...new Set([...named, ...(decision.judged[0]?.evidence.missing ?? [])])]).filter((phrase) =>
    words(phrase).some((w) => namedTerms.has(stem(w))),
  );
  const about = phrasesFor(q, decision.covered);
  const tail = 'They are listed separately, not cited; try rephrasing, widening the filters, or adding papers.';
  if (decision.judged.length === 0) {
    return { text: 'No indexed paper matches this question (or the filters leave none), so there is nothing to cite. Try rephrasing, widening the filters, or adding papers.', missing: [] };
  }
  const closest = about.length ? `The closest papers are about ${list(about)}. ${tail}` : `The closest papers share little with the question. ${tail}`;
  if (missing.length && named.every((t) => !t.known)) return { text: `None of the indexed abstracts mention ${list(missing)}. ${closest}`, missing };
  if (missing.length) return { text: `The closest abstracts do not mention ${list(missing)}. ${closest}`, missing };
  return { text: `The indexed abstracts do not clearly answer this question, so there is nothing to cite. ${closest}`, missing: [] };
}

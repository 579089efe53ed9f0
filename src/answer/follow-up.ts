// Follow-up questions only make sense with the conversation. Two kinds:
// - one that refers back ("What challenges did they identify?", "How many participants were
//   there?"): pronouns, or no topic words of its own. It is about the papers just cited, so it is
//   answered from those papers (the paperIds the previous answer carried in the history), and it is
//   the new question that gets answered, not the old one again;
// - one that swaps the topic of the last question ("What about children?"): it is searched with
//   the last question's words plus its own, and what it swaps in is what it asks about, so a paper
//   that does not mention it does not answer.
import { contentTerms, words } from '../text/terms.js';
import { isFrameTerm } from './question.js';

export interface Turn {
  role: 'user' | 'assistant' | 'system';
  content: string;
  /** On an assistant turn: the papers its answer cited, so a follow-up can be scoped to them. */
  paperIds?: string[];
}

export type FollowUp =
  | { kind: 'none' }
  /** Answer `question` from `paperIds` (null: the papers of `previous`, found again); judge it with `previous` as its topic. */
  | { kind: 'scoped'; previous: string; paperIds: string[] | null }
  /** Search and answer `previous + question`; a paper must mention `asks`, the topic words the follow-up brings in. */
  | { kind: 'extended'; previous: string; asks: string[] };

const REFERS_BACK = new Set(['they', 'them', 'their', 'theirs', 'it', 'its', 'this', 'that', 'these', 'those', 'there', 'he', 'she', 'his', 'her']);
const DEFINITE_BACK = /\b(the|this|that|these|those) (study|studies|paper|papers|article|authors?|researchers?|participants?|sample|data|analysis|methods?|interviews?|survey|questionnaires?|findings?|results?|trial|programme|program|intervention|service)\b/i;
// How a study was done, asked of the study just cited: "How was the data analysed?", "And how were they recruited?".
const HOW_IT_WAS_DONE = new Set(contentTerms('analysed analyzed analysis analyses collected recruited conducted interviewed selected coded sampled gathered'));
const EXTENDS = /^\s*(and |but )?(what|how) about\b|^\s*(and|also|same for|and for|what if)\b/i;

/**
 * @example classifyFollowUp('How many participants were there?', history) // { kind: 'scoped', … }
 */
export function classifyFollowUp(question: string, history: Turn[] = []): FollowUp {
  const previous = [...history].reverse().find((t) => t.role === 'user' && t.content.trim() && t.content.trim() !== question.trim());
  if (!previous) return { kind: 'none' };
  // "the data" in "How was the data analysed?" points back, and is no topic of its own.
  const pointer = DEFINITE_BACK.exec(question)?.[2];
  const pointed = new Set(pointer ? contentTerms(pointer) : []);
  const topic = contentTerms(question).filter((t) => !isFrameTerm(t) && !pointed.has(t) && !HOW_IT_WAS_DONE.has(t));
  const earlier = new Set(history.filter((t) => t.role !== 'system').flatMap((t) => contentTerms(t.content)));
  const newTopic = topic.filter((t) => !earlier.has(t));
  if (EXTENDS.test(question) && newTopic.length > 0) return { kind: 'extended', previous: previous.content.trim(), asks: newTopic };
  // A pronoun refers back even beside one new word ("What challenges did they identify?"); "the
  // data" or "the findings" only with none ("What did the findings in Norway show?" is a new question).
  const pronoun = words(question).some((w) => REFERS_BACK.has(w));
  if ((pronoun && newTopic.length <= 1) || (pointer && newTopic.length === 0) || topic.length === 0) {
    const lastAnswer = [...history].reverse().find((t) => t.role === 'assistant');
    return { kind: 'scoped', previous: previous.content.trim(), paperIds: lastAnswer?.paperIds?.length ? lastAnswer.paperIds : null };
  }
  return { kind: 'none' };
}

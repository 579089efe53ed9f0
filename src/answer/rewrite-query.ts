// Follow-up questions ("what about children?") only make sense with the conversation. Without an
// LLM we rewrite deterministically: a follow-up borrows the topic words of the last user question.
import { contentTerms, words } from '../text/terms.js';

export interface Turn {
  role: 'user' | 'assistant' | 'system';
  content: string;
}

const FOLLOW_UP_OPENERS = /^(and|also|what about|how about|and what about|what if|same for|and for|but|or|then|is that|does that|do they|did they|are they|were they|why|how so)\b/i;
const PRONOUNS = new Set(['it', 'this', 'that', 'these', 'those', 'they', 'them', 'their', 'there', 'such']);

export function isFollowUp(question: string): boolean {
  const w = words(question);
  if (FOLLOW_UP_OPENERS.test(question.trim())) return true;
  if (w.length <= 6 && w.some((x) => PRONOUNS.has(x))) return true;
  return contentTerms(question).length <= 1 && w.length <= 4;
}

/**
 * A standalone search query for the last question, given the turns before it.
 * @example rewriteFollowUp('what about children?', [{ role: 'user', content: 'Does peer support reduce stigma?' }])
 * // 'Does peer support reduce stigma? what about children?'
 */
export function rewriteFollowUp(question: string, history: Turn[] = []): string {
  const previous = [...history].reverse().find((t) => t.role === 'user' && t.content.trim() && t.content.trim() !== question.trim());
  if (!previous || !isFollowUp(question)) return question;
  return `${previous.content.trim()} ${question.trim()}`;
}

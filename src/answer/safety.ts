// A question that expresses a personal crisis gets a pointer to crisis support before anything
// else. The patterns need a first-person statement of intent or danger, so a researcher asking
// "what predicts suicidal ideation in peer workers?" is answered as a literature question.
const CRISIS_PATTERNS: RegExp[] = [
  /\b(kill|killing|hurt|hurting|harm|harming|cut|cutting|poison|hang)(ing)?\s+my\s*self\b/i,
  /\b(end|ending|take|taking)\s+my\s+(own\s+)?life\b/i,
  /\bi\s*('m|am|feel|have been feeling|keep feeling)\s+(so\s+|really\s+|very\s+)?suicidal\b/i,
  /\bi\s+(want|wanna|need|plan|am planning|'m planning|am going|'m going|intend|have decided)\s+(to\s+)?(die|end it|kill|disappear forever)\b/i,
  /\b(want|wish)\s+(to\s+be|i\s+was|i\s+were)\s+dead\b/i,
  /\bi\s+(don'?t|do not)\s+want\s+to\s+(live|be alive|be here|wake up)\b/i,
  /\b(no|any)\s+reason\s+to\s+(live|go on|keep going)\b/i,
  /\bbetter\s+off\s+(dead|without me)\b/i,
  /\bi\s*('ve| have)?\s*(taken|took|swallowed)\s+(an\s+)?(overdose|too many pills|all my pills)\b/i,
  /\bi\s*('m|am)\s+(in\s+(immediate\s+)?danger|not\s+safe)\b/i,
  /\bsomeone\s+is\s+(hurting|threatening|going to hurt)\s+me\b/i,
];

export type SafetyFlag = 'crisis' | null;

/** @example detectCrisis('I want to end my life') // 'crisis' */
export function detectCrisis(text: string): SafetyFlag {
  const t = text.replace(/[’‘]/g, "'");
  return CRISIS_PATTERNS.some((p) => p.test(t)) ? 'crisis' : null;
}

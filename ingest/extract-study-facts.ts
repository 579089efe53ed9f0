// Study design and sample size, read from the abstract's own words, so a citation can tell a
// reader "qualitative, N = 40" without them opening the paper. Cue phrases only: when the abstract
// does not say, we say nothing.
import type { StudyDesign } from '../src/types.js';

// Most specific first: a systematic review of RCTs is a review, not an RCT.
const DESIGN_CUES: Array<[StudyDesign, RegExp]> = [
  ['meta-analysis', /\bmeta-?analy(sis|ses|tic)\b/i],
  ['systematic review', /\bsystematic(ally)? review/i],
  ['scoping review', /\bscoping review/i],
  ['randomised controlled trial', /\brandomi[sz]ed (controlled |clinical )?trial|\bRCTs?\b|\brandomly (assigned|allocated)\b/i],
  ['mixed methods', /\bmixed[- ]methods?\b/i],
  ['review', /\b(literature|narrative|integrative|rapid|realist) review\b|\bwe review(ed)?\b|\bthis review\b/i],
  ['cohort', /\bcohort (study|design)|\bprospective cohort|\bretrospective cohort/i],
  ['qualitative', /\bqualitative\b|in-depth interviews?\b|\bsemi-structured interviews?\b|\bfocus groups?\b|\bthematic(ally)? analy|\bco-operative inquiry\b|\bgrounded theory\b|\bphenomenolog/i],
  ['cross-sectional survey', /\bcross-sectional\b/i],
  ['longitudinal', /\blongitudinal\b/i],
  ['survey', /\bsurvey(s|ed)?\b|\bquestionnaires?\b/i],
  ['case study', /\bcase (study|report|series)\b/i],
];

/** @example detectDesign('We conducted semi-structured interviews…') // 'qualitative' */
export function detectDesign(text: string): StudyDesign | null {
  for (const [design, cue] of DESIGN_CUES) if (cue.test(text)) return design;
  return null;
}

const NUMBER_WORDS: Record<string, number> = {
  two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12,
  thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18, nineteen: 19, twenty: 20,
  thirty: 30, forty: 40, fifty: 50, sixty: 60,
};

const PEOPLE =
  '(?:participants|patients|outpatients|inpatients|people|persons|individuals|adults|adolescents|youths?|young people|children|students|respondents|service[- ]users|users|clients|veterans|women|men|mothers|fathers|parents|families|carers|caregivers|workers|staff|nurses|clinicians|practitioners|specialists|peers|peer supporters|members|volunteers|subjects|interviewees)';

/**
 * "N = 193", or the first count of people ("40 purposively selected patients", "seven people").
 * @example detectSampleSize('completed by 193 psychiatric outpatients') // 'N = 193'
 */
export function detectSampleSize(text: string): string | null {
  const explicit = [...text.matchAll(/\b[Nn]\s*=\s*(\d[\d,]*)/g)].map((m) => Number(m[1].replace(/,/g, '')));
  if (explicit.length) {
    return explicit.length === 1 ? `N = ${explicit[0]}` : `N = ${explicit.slice(0, 4).join(', ')}`;
  }
  const counted = new RegExp(`\\b(\\d[\\d,]*|${Object.keys(NUMBER_WORDS).join('|')})\\s+(?:[\\w-]+\\s+){0,3}?${PEOPLE}\\b`, 'i');
  const m = text.match(counted);
  if (!m) return null;
  const raw = m[1].toLowerCase().replace(/,/g, '');
  const n = NUMBER_WORDS[raw] ?? Number(raw);
  // Years and ages are numbers too ("2001 outpatients" never happens; "18 years" is not people).
  if (!Number.isFinite(n) || n < 2 || (n >= 1900 && n <= 2100)) return null;
  return `N = ${n}`;
}

// What a sentence of an abstract is doing: stating an aim, describing methods, reporting a finding
// or drawing an implication. Read from its section label when the abstract is structured, else from
// cue words. Summaries group by it; evidence scoring prefers findings over restated aims.
import type { Section } from '../types.js';

export type ThemeName = 'Aims and context' | 'Methods and samples' | 'Findings' | 'Implications';

const SECTION_THEME: Array<[RegExp, ThemeName]> = [
  [/^(background|introduction|context|aims?|objectives?|purpose|rationale)/i, 'Aims and context'],
  [/^(methods?|methodology|design|setting|participants|measures|interventions?|study design|patients and methods|materials)/i, 'Methods and samples'],
  [/^(results|findings|main outcome)/i, 'Findings'],
  [/^(conclusions?|implications|discussion|originality|practical|social|research limitations|limitations)/i, 'Implications'],
];

const CUES: Array<[RegExp, ThemeName]> = [
  [/\b(should|need(s|ed)? to|implications?|recommend|suggests? that|highlight|must|future research|policy|practice)\b/i, 'Implications'],
  [/\b(found|find(ings)?|results?|showed|shown|reported|identified|indicate[sd]?|revealed|significant(ly)?|improv|reduc|increas|associated)\b/i, 'Findings'],
  [/\b(interview(s|ed)?|survey(s|ed)?|questionnaire|participants|recruited|sample|randomi[sz]ed|focus groups?|data were|we (used|conducted|followed|analy[sz]ed)|N\s*=)\b/i, 'Methods and samples'],
  [/\b(aims?|objective|purpose|little is known|this (study|paper|article)|we (explore|examine|investigate))\b/i, 'Aims and context'],
];

export function themeOf(sentence: string, start: number, sections: Section[]): ThemeName {
  const section = sections.find((s) => start >= s.start && start < s.end);
  if (section) for (const [re, theme] of SECTION_THEME) if (re.test(section.label)) return theme;
  for (const [re, theme] of CUES) if (re.test(sentence)) return theme;
  return 'Findings';
}


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

// Cues for unstructured abstracts, tried in this order. "Participants" alone says nothing (a finding
// is often about participants); a method sentence says what was done to collect or analyse data.
const CUES: Array<[RegExp, ThemeName]> = [
  [/^(the|this|our) (current |present )?(study|paper|article|review|research) (seeks?|aims?|aimed|sets? out|attempts?|was designed|is designed)\b|^(we|this study) (aimed|sought|set out|aim|seek)\b|^(to|in order to) (determine|explore|examine|investigate|assess|evaluate|compare|describe|identify|understand)\b|\b(the )?(aims?|purpose|objectives?|goal) (of this|of the present|of the current|was|is|were) /i, 'Aims and context'],
  [/\b(should|need(s|ed)? to|implications?|recommend|suggests? that|highlight|must|future research|policy|practice|may benefit|warrants?|is needed|are needed)\b/i, 'Implications'],
  [/\b(found|find(ings)?|results?|showed|shown|reported|identified|indicate[sd]?|revealed|significant(ly)?|improv|reduc|increas|associated|appear(s|ed)? to|emerged|experienced|no (significant )?(change|difference)|remained|there (was|were) (no|a|an)|compared (with|to))\b/i, 'Findings'],
  [/\b(interview(s|ed)? (were|was|with)|in-depth interviews|focus groups? (were|was)|survey(s|ed)? (was|were)|questionnaire|recruited|randomi[sz]ed|enrolled|were (selected|followed|assessed|traced|matched|interviewed|surveyed)|data were|we (used|conducted|followed|analy[sz]ed|interviewed|recruited|performed|reviewed)|(was|were) (completed|conducted|performed|collected|analy[sz]ed|coded)|N\s*=|inductive|thematic)\b/i, 'Methods and samples'],
  [/\b(aims?|objective|purpose|little is known|this (study|paper|article)|we (explore|examine|investigate))\b/i, 'Aims and context'],
];

export function themeOf(sentence: string, start: number, sections: Section[]): ThemeName {
  const section = sections.find((s) => start >= s.start && start < s.end);
  if (section) for (const [re, theme] of SECTION_THEME) if (re.test(section.label)) return theme;
  for (const [re, theme] of CUES) if (re.test(sentence)) return theme;
  return 'Findings';
}


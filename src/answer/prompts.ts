// Prompt templates live in prompts/ as plain files so they can be read and changed without code.
// Values are filled into {{slots}}; retrieved text is escaped so it cannot close its delimiters.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROMPTS_DIR } from '../config.js';
import type { Source } from './cite.js';

export interface Prompts {
  system: string;
  answer: string;
  summary: string;
}

export function loadPrompts(dir = PROMPTS_DIR): Prompts {
  const read = (name: string) => readFileSync(path.join(dir, `${name}.md`), 'utf8').trim();
  return { system: read('system'), answer: read('answer'), summary: read('summary') };
}

/** Fills {{name}} slots; unknown slots are left visible rather than silently dropped. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => (name in values ? values[name] : whole));
}

/** Angle brackets in data become look-alikes, so no source can open or close a tag. */
export function asData(text: string): string {
  return text.replace(/</g, '‹').replace(/>/g, '›');
}

/**
 * The numbered sources block.
 * @example formatSources([{ n: 1, paper, score: 1 }]) // '<source n="1" …>\nTitle: …'
 */
export function formatSources(sources: Source[]): string {
  return sources
    .map(({ n, paper }) => {
      const facts = [paper.design, paper.sampleSize].filter(Boolean).join(', ');
      const lines = [
        `<source n="${n}">`,
        `Paper: ${asData(paper.label)}`,
        paper.title ? `Title: ${asData(paper.title)}` : null,
        facts ? `Study: ${facts}` : null,
        `Abstract: ${paper.abstract ? asData(paper.abstract) : '(no abstract)'}`,
        '</source>',
      ];
      return lines.filter((l) => l !== null).join('\n');
    })
    .join('\n\n');
}

// Reads an export file as text whatever its encoding: UTF-8 with or without BOM, UTF-16 with BOM,
// or Latin-1/Windows-1252 (old EndNote and Excel exports). Binary files and empty files are refused
// with a message that says which file and why.
import { readFile, stat } from 'node:fs/promises';
import { ParseError } from '../src/errors.js';

export interface SourceText {
  text: string;
  encoding: 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';
  warnings: string[];
}

/** Larger files are refused: an abstracts export this big is almost certainly something else. */
export const MAX_FILE_BYTES = 512 * 1024 * 1024;

export function decodeSource(bytes: Uint8Array, file: string): SourceText {
  const warnings: string[] = [];
  if (bytes.length === 0) throw new ParseError(file, 'the file is empty');
  let encoding: SourceText['encoding'];
  let text: string;
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    encoding = 'utf-16le';
    text = new TextDecoder('utf-16le').decode(bytes.subarray(2));
  } else if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    encoding = 'utf-16be';
    text = new TextDecoder('utf-16be').decode(bytes.subarray(2));
  } else {
    const sample = bytes.subarray(0, 8192);
    const nulls = sample.filter((b) => b === 0).length;
    if (nulls > 0) throw new ParseError(file, 'this looks like a binary file (it contains NUL bytes), not a text export');
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      encoding = 'utf-8';
    } catch {
      text = new TextDecoder('windows-1252').decode(bytes);
      encoding = 'windows-1252';
      warnings.push(`${file}: not valid UTF-8; read as Latin-1 (Windows-1252). Re-export as UTF-8 if accents look wrong.`);
    }
  }
  text = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const controls = (text.slice(0, 8192).match(/[\u0001-\u0008\u000e-\u001f]/g) ?? []).length;
  if (controls > 16) throw new ParseError(file, 'this looks like a binary file (many control characters), not a text export');
  if (!text.trim()) throw new ParseError(file, 'the file contains only whitespace');
  return { text, encoding, warnings };
}

export async function readSourceFile(file: string): Promise<SourceText> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (error) {
    throw new ParseError(file, `cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (size > MAX_FILE_BYTES) throw new ParseError(file, `the file is ${(size / 2 ** 20).toFixed(0)} MiB; the limit is ${MAX_FILE_BYTES / 2 ** 20} MiB`);
  return decodeSource(await readFile(file), file);
}

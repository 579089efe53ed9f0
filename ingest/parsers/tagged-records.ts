// RIS, PubMed MEDLINE and Web of Science plain text are the same idea: one field per line behind a
// short tag, long values wrapped onto indented continuation lines, records ended by a tag or a blank
// line. One reader serves all three; each format only says how its lines look.

export interface TaggedRecord {
  /** 1-based line where the record starts. */
  line: number;
  fields: Map<string, string[]>;
}

export interface TaggedFormat {
  /** Matches a tagged line; group 1 is the tag, group 2 (optional) the value. */
  tagLine: RegExp;
  /** Returns the text of a continuation line, or null when the line is not one. */
  continuation: (line: string) => string | null;
  /** Tag that opens a record (a record also opens at any tag outside one, until the file has used this tag). */
  startTag?: string;
  /** Tag that closes a record. */
  endTag?: string;
  blankLineEnds: boolean;
  /** Tags whose continuation lines are further values (WoS puts one author per line). */
  listContinuation?: ReadonlySet<string>;
  /** File-level tags that belong to no record. */
  headerTags?: ReadonlySet<string>;
}

/**
 * Reads tagged records. Lines outside any record (export banners, "1.") are skipped. In a format
 * whose records end with a tag, a record that does not (the next record's start tag, or the end of
 * the file, came first: how a cut-off export looks) is kept as far as it goes, and `onUnclosed`
 * is told its line.
 * @example parseTaggedRecords('TY  - JOUR\nTI  - A\nER  - ', RIS_FORMAT)[0].fields.get('TI') // ['A']
 */
export function parseTaggedRecords(text: string, format: TaggedFormat, onUnclosed: (line: number) => void = () => {}): TaggedRecord[] {
  const records: TaggedRecord[] = [];
  let current: TaggedRecord | null = null;
  let lastTag: string | null = null;
  let sawStart = false;

  const close = (closed: boolean) => {
    if (current && current.fields.size > 0) {
      records.push(current);
      if (!closed && format.endTag) onUnclosed(current.line);
    }
    current = null;
    lastTag = null;
  };

  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\s+$/, '');
    if (!line.trim()) {
      if (format.blankLineEnds) close(true);
      return;
    }
    const tagged = line.match(format.tagLine);
    if (tagged) {
      const tag = tagged[1];
      const value = (tagged[2] ?? '').trim();
      if (format.headerTags?.has(tag)) return;
      if (tag === format.endTag) {
        close(true);
        return;
      }
      if (!current || tag === format.startTag) {
        if (current && tag === format.startTag) close(false);
        // Once a file whose records end with a tag has shown that they open with the start tag, a
        // tagged line between records is a trailer (Ovid puts "NL  - …" after ER), not a record.
        if (!current && tag !== format.startTag && format.endTag && sawStart) return;
        if (tag === format.startTag) sawStart = true;
        current = { line: i + 1, fields: new Map() };
      }
      const values = current.fields.get(tag) ?? [];
      values.push(value);
      current.fields.set(tag, values);
      lastTag = tag;
      return;
    }
    if (!current || !lastTag) return;
    const more = format.continuation(line);
    if (more === null) return;
    const values = current.fields.get(lastTag)!;
    if (format.listContinuation?.has(lastTag)) values.push(more.trim());
    else values[values.length - 1] = `${values[values.length - 1]} ${more.trim()}`.trim();
  });
  close(false);
  return records;
}

/** The first non-empty value of the first tag that has one. */
export function first(record: TaggedRecord, ...tags: string[]): string | null {
  for (const tag of tags) {
    const value = record.fields.get(tag)?.find((v) => v.trim() !== '');
    if (value) return value.trim();
  }
  return null;
}

/** Every non-empty value of the first tag that has any. */
export function all(record: TaggedRecord, ...tags: string[]): string[] {
  for (const tag of tags) {
    const values = record.fields.get(tag)?.filter((v) => v.trim() !== '');
    if (values?.length) return values.map((v) => v.trim());
  }
  return [];
}

/** A four-digit year anywhere in a date field ("2014//", "2006 Jan 12", "1948/07//"). */
export function yearOf(value: string | null | undefined): number | null {
  const m = value?.match(/\b(1[5-9]\d\d|20\d\d)\b/);
  return m ? Number(m[1]) : null;
}

/** A DOI from a bare value, a doi.org URL or "10.x/y [doi]". */
export function doiOf(value: string | null | undefined): string | null {
  const m = value?.match(/\b(10\.\d{4,9}\/[^\s\]]+)/);
  return m ? m[1].replace(/[.,;]+$/, '') : null;
}

export function pagesOf(start: string | null, end: string | null): string | null {
  if (start && end) return `${start}-${end}`;
  return start ?? end ?? null;
}

// Saved conversations, in one SQLite file in DATA_DIR (better-sqlite3: synchronous, so a turn is
// written inside the request that produced it, and a crash loses at most the answer in flight).
// A turn keeps its answer exactly as it was shown: the segments, and the citations with their
// paper ids and the quoted spans' text and offsets, so an old answer still renders after a
// re-ingest changes or drops the papers it cites.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { NotFoundError, StorageError } from '../errors.js';

/** What a conversation is scoped to: the filters and the chosen papers of its questions. */
export interface ConversationScope {
  filters?: Record<string, unknown>;
  paperIds?: string[];
}

export interface ConversationSummary {
  id: string;
  title: string;
  createdAt: string;
  updatedAt: string;
  turns: number;
  scope: ConversationScope;
}

export interface Turn {
  seq: number;
  kind: 'ask' | 'summarize';
  /** The question or topic as the user typed it (empty for "summarise the cited papers"). */
  question: string;
  /** The API's result: answer, segments, citations (with spans), themes, closest papers, notices. */
  result: Record<string, unknown>;
  createdAt: string;
}

export interface Conversation extends ConversationSummary {
  turnList: Turn[];
}

// Each migration runs once, in order, recorded in SQLite's user_version.
const MIGRATIONS = [
  `CREATE TABLE conversations (
     id TEXT PRIMARY KEY,
     title TEXT NOT NULL,
     scope TEXT NOT NULL DEFAULT '{}',
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE TABLE turns (
     conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
     seq INTEGER NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('ask', 'summarize')),
     question TEXT NOT NULL,
     result TEXT NOT NULL,
     created_at TEXT NOT NULL,
     PRIMARY KEY (conversation_id, seq)
   );
   CREATE INDEX conversations_by_update ON conversations (updated_at DESC);`,
];

const TITLE_MAX = 120;

/** A conversation's row with its number of turns (ConversationRow). */
const SUMMARY_SELECT = 'SELECT c.*, (SELECT count(*) FROM turns t WHERE t.conversation_id = c.id) AS turns FROM conversations c';

/** A title from a first question: its first line, cut at a word near TITLE_MAX characters. */
export function titleFrom(question: string): string {
  const line = question.trim().split('\n')[0].replace(/\s+/g, ' ');
  if (line.length <= TITLE_MAX) return line;
  const cut = line.slice(0, TITLE_MAX);
  return `${cut.slice(0, cut.lastIndexOf(' ') > 40 ? cut.lastIndexOf(' ') : TITLE_MAX)}…`;
}

interface ConversationRow {
  id: string;
  title: string;
  scope: string;
  created_at: string;
  updated_at: string;
  turns: number;
}

export class ConversationStore {
  private readonly db: Database.Database;

  /** Opens (creating it and its folder if need be) the SQLite file; ':memory:' for a throwaway one. */
  constructor(readonly file: string) {
    try {
      if (file !== ':memory:') {
        mkdirSync(path.dirname(file), { recursive: true });
        // Saved questions are the user's own: readable by this user only, as the WAL files that
        // SQLite creates beside the file take the file's permissions.
        if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
      }
    } catch (error) {
      throw unavailable(file, error);
    }
    const db = new Database(file, { fileMustExist: false });
    try {
      // WAL: a reader (the list) never waits for a writer (a turn being saved), and a crash
      // mid-write leaves the last committed state.
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > MIGRATIONS.length) {
        throw new StorageError(`The saved chats in ${path.basename(file)} were written by a newer version of this program (schema ${version}; this one knows ${MIGRATIONS.length}). Upgrade, or move the file aside to start afresh.`);
      }
      for (let v = version; v < MIGRATIONS.length; v++) {
        db.transaction(() => {
          db.exec(MIGRATIONS[v]);
          db.pragma(`user_version = ${v + 1}`);
        }).immediate();
      }
    } catch (error) {
      db.close();
      throw error instanceof StorageError ? error : unavailable(file, error);
    }
    this.db = db;
  }

  list(): ConversationSummary[] {
    const rows = this.db.prepare<[], ConversationRow>(`${SUMMARY_SELECT} ORDER BY c.updated_at DESC, c.rowid DESC`).all();
    return rows.map(summaryOf);
  }

  create({ title = '', scope = {} }: { title?: string; scope?: ConversationScope } = {}): ConversationSummary {
    const id = randomBytes(9).toString('base64url');
    const now = new Date().toISOString();
    this.db.prepare('INSERT INTO conversations (id, title, scope, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(id, title.trim(), JSON.stringify(scope), now, now);
    return this.summary(id);
  }

  get(id: string): Conversation {
    const summary = this.summary(id);
    const turns = this.db
      .prepare<[string], { seq: number; kind: Turn['kind']; question: string; result: string; created_at: string }>('SELECT * FROM turns WHERE conversation_id = ? ORDER BY seq')
      .all(id)
      .map((t) => ({ seq: t.seq, kind: t.kind, question: t.question, result: JSON.parse(t.result) as Record<string, unknown>, createdAt: t.created_at }));
    return { ...summary, turnList: turns };
  }

  update(id: string, changes: { title?: string; scope?: ConversationScope }): ConversationSummary {
    this.summary(id);
    const now = new Date().toISOString();
    if (changes.title !== undefined) this.db.prepare('UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?').run(changes.title.trim(), now, id);
    if (changes.scope !== undefined) this.db.prepare('UPDATE conversations SET scope = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(changes.scope), now, id);
    return this.summary(id);
  }

  delete(id: string): void {
    if (this.db.prepare('DELETE FROM conversations WHERE id = ?').run(id).changes === 0) throw notFound(id);
  }

  /** Fails with a 404 for an unknown id: checked before an answer is computed, not after. */
  assertExists(id: string): void {
    this.summary(id);
  }

  /** Appends a turn; a conversation without a title takes its first question's. */
  appendTurn(id: string, turn: { kind: Turn['kind']; question: string; result: Record<string, unknown>; scope?: ConversationScope }): Turn {
    const now = new Date().toISOString();
    return this.db.transaction(() => {
      const current = this.summary(id);
      const { seq } = this.db.prepare<[string], { seq: number }>('SELECT coalesce(max(seq), 0) + 1 AS seq FROM turns WHERE conversation_id = ?').get(id)!;
      this.db.prepare('INSERT INTO turns (conversation_id, seq, kind, question, result, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(id, seq, turn.kind, turn.question, JSON.stringify(turn.result), now);
      const title = current.title || titleFrom(turn.question || (turn.kind === 'summarize' ? 'Summary of chosen papers' : 'Conversation'));
      this.db.prepare('UPDATE conversations SET title = ?, scope = ?, updated_at = ? WHERE id = ?').run(title, JSON.stringify(turn.scope ?? current.scope), now, id);
      return { seq, kind: turn.kind, question: turn.question, result: turn.result, createdAt: now };
      // IMMEDIATE: the write lock is taken up front, so busy_timeout covers a second writer.
    }).immediate();
  }

  close(): void {
    this.db.close();
  }

  private summary(id: string): ConversationSummary {
    const row = this.db.prepare<[string], ConversationRow>(`${SUMMARY_SELECT} WHERE c.id = ?`).get(id);
    if (!row) throw notFound(id);
    return summaryOf(row);
  }
}

const unavailable = (file: string, error: unknown) =>
  new StorageError(`The saved chats cannot be opened (${path.basename(file)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). Check that the server can write to its DATA_DIR.`);

const notFound = (id: string) => new NotFoundError(`No conversation with id "${id}". GET /api/conversations lists them.`);

function summaryOf(row: ConversationRow): ConversationSummary {
  return { id: row.id, title: row.title, createdAt: row.created_at, updatedAt: row.updated_at, turns: row.turns, scope: JSON.parse(row.scope) as ConversationScope };
}

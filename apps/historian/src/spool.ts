import { openSqlite } from '@cicenns/common';
import type Database from 'better-sqlite3';

export interface SpoolChunk {
  ids: number[];
  body: string;
  lines: number;
}

/**
 * The historian's durable queue: every accepted batch of line-protocol lines is committed here
 * before the broker is acknowledged, and removed only after InfluxDB has taken it. It survives
 * a database outage and a restart (SQLite WAL; a killed process loses nothing committed).
 */
export class Spool {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly pending: Database.Statement;
  private readonly removeRange: Database.Statement;
  private readonly toDeadLetter: Database.Statement;
  private readonly oldest: Database.Statement;
  private linesQueued = 0;

  constructor(path: string) {
    this.db = openSqlite(path);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS spool (id INTEGER PRIMARY KEY, lines INTEGER NOT NULL, body TEXT NOT NULL, received INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS dead_letter (id INTEGER PRIMARY KEY, lines INTEGER NOT NULL, body TEXT NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL);
    `);
    this.insert = this.db.prepare('INSERT INTO spool (lines, body, received) VALUES (?, ?, ?)');
    this.pending = this.db.prepare('SELECT id, lines, body FROM spool ORDER BY id LIMIT ?');
    this.removeRange = this.db.prepare('DELETE FROM spool WHERE id <= ?');
    this.toDeadLetter = this.db.prepare(
      'INSERT INTO dead_letter (lines, body, reason, at) SELECT lines, body, ?, ? FROM spool WHERE id <= ?',
    );
    // rows are appended in time order: the oldest is the lowest id (a primary-key look-up, where
    // MIN(received) scanned the whole spool; the flusher asks before every write)
    this.oldest = this.db.prepare('SELECT received FROM spool ORDER BY id LIMIT 1');
    this.linesQueued = (
      this.db.prepare('SELECT COALESCE(SUM(lines), 0) AS n FROM spool').get() as { n: number }
    ).n;
  }

  append(lines: string[]): void {
    if (lines.length === 0) return;
    this.insert.run(lines.length, lines.join('\n'), Date.now());
    this.linesQueued += lines.length;
  }

  /** The oldest rows, up to about maxLines lines (at least one row). */
  peek(maxLines: number): SpoolChunk | undefined {
    const chunk: SpoolChunk = { ids: [], body: '', lines: 0 };
    const bodies: string[] = [];
    type Row = { id: number; lines: number; body: string };
    // iterate() reads row by row, so we stop as soon as the chunk is full
    for (const r of this.pending.iterate(maxLines) as IterableIterator<Row>) {
      if (chunk.lines > 0 && chunk.lines + r.lines > maxLines) break;
      chunk.ids.push(r.id);
      bodies.push(r.body);
      chunk.lines += r.lines;
    }
    if (chunk.ids.length === 0) return undefined;
    chunk.body = bodies.join('\n');
    return chunk;
  }

  /** Rows are taken oldest first, so a chunk is always a prefix: delete up to its last id. */
  remove(chunk: SpoolChunk): void {
    this.removeRange.run(chunk.ids[chunk.ids.length - 1]);
    this.linesQueued -= chunk.lines;
  }

  /** Data the database refuses for good (e.g. a field type conflict) is kept aside, not dropped. */
  deadLetter(chunk: SpoolChunk, reason: string): void {
    const last = chunk.ids[chunk.ids.length - 1];
    this.db.transaction(() => {
      this.toDeadLetter.run(reason, Date.now(), last);
      this.removeRange.run(last);
    })();
    this.linesQueued -= chunk.lines;
  }

  get backlogLines(): number {
    return this.linesQueued;
  }

  oldestAgeMs(): number {
    const row = this.oldest.get() as { received: number } | undefined;
    return row ? Date.now() - row.received : 0;
  }

  deadLetterLines(): number {
    return (this.db.prepare('SELECT COALESCE(SUM(lines), 0) AS n FROM dead_letter').get() as { n: number }).n;
  }

  close(): void {
    this.db.close();
  }
}

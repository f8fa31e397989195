import { openSqlite } from '@cicenns/common';
import type Database from 'better-sqlite3';

export interface SpoolChunk {
  ids: number[];
  body: string;
  lines: number;
  /** the retention policy its lines go to; undefined: the raw tier (influx.tiers.raw) */
  rp?: string;
}

/** A claimed chunk awaiting its outcome (settle): kept in claim order, the oldest first. */
interface Outstanding {
  first: number;
  last: number;
  lines: number;
  rows: number;
  /** undefined: still being written; stored; or refused for good (the reason) */
  outcome?: { stored: true } | { deadLetter: string };
}

/**
 * The historian's durable queue: every accepted batch of line-protocol lines is committed here
 * before the broker is acknowledged, and removed only after InfluxDB has taken it. It survives
 * a database outage and a restart (SQLite WAL; a killed process loses nothing committed).
 *
 * Several writes may be in flight (influx.writeConcurrency): claim() hands out the oldest rows
 * not yet claimed, settle() records each chunk's outcome in whatever order the writes finish,
 * and rows leave the table only as the longest settled prefix of the claims. So the table stays
 * a queue whose oldest rows go first: SQLite never reuses a rowid still below a claim, and a
 * crash re-sends what was written but not yet removed (the same point twice is one point in
 * InfluxDB), never skips what was not written.
 */
export class Spool {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly pendingAfter: Database.Statement;
  private readonly removeRange: Database.Statement;
  private readonly toDeadLetter: Database.Statement;
  private readonly oldest: Database.Statement;
  private readonly oldestAfter: Database.Statement;
  private readonly getMeta: Database.Statement;
  private readonly putMeta: Database.Statement;
  private linesQueued = 0;
  private readonly outstanding: Outstanding[] = [];
  private claimedLines = 0;
  /** rows appended since open, those there at open included, and rows gone since (in order) */
  private rowsIn = 0;
  private rowsOut = 0;

  constructor(path: string) {
    this.db = openSqlite(path);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS spool (id INTEGER PRIMARY KEY, lines INTEGER NOT NULL, body TEXT NOT NULL, received INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS dead_letter (id INTEGER PRIMARY KEY, lines INTEGER NOT NULL, body TEXT NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    // rp: lines for another retention policy than the raw one (the aggregate tier, when the
    // historian computes it); a spool of an older version has no such column
    for (const table of ['spool', 'dead_letter']) {
      const cols = this.db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
      if (!cols.some((c) => c.name === 'rp')) this.db.exec(`ALTER TABLE ${table} ADD COLUMN rp TEXT`);
    }
    this.insert = this.db.prepare('INSERT INTO spool (lines, body, received, rp) VALUES (?, ?, ?, ?)');
    this.pendingAfter = this.db.prepare(
      'SELECT id, lines, body, rp FROM spool WHERE id > ? ORDER BY id LIMIT ?',
    );
    this.removeRange = this.db.prepare('DELETE FROM spool WHERE id <= ?');
    this.toDeadLetter = this.db.prepare(
      'INSERT INTO dead_letter (lines, body, reason, at, rp) SELECT lines, body, ?, ?, rp FROM spool WHERE id BETWEEN ? AND ?',
    );
    this.getMeta = this.db.prepare('SELECT value FROM meta WHERE key = ?');
    this.putMeta = this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    // rows are appended in time order: the oldest is the lowest id (a primary-key look-up, where
    // MIN(received) scanned the whole spool; the flusher asks before every write)
    this.oldest = this.db.prepare('SELECT received FROM spool ORDER BY id LIMIT 1');
    this.oldestAfter = this.db.prepare('SELECT received FROM spool WHERE id > ? ORDER BY id LIMIT 1');
    this.linesQueued = (
      this.db.prepare('SELECT COALESCE(SUM(lines), 0) AS n FROM spool').get() as { n: number }
    ).n;
    this.rowsIn = (this.db.prepare('SELECT COUNT(*) AS n FROM spool').get() as { n: number }).n;
  }

  /** Lines for the raw tier, or for the retention policy `rp`. */
  append(lines: string[], rp?: string): void {
    if (lines.length === 0) return;
    this.insert.run(lines.length, lines.join('\n'), Date.now(), rp ?? null);
    this.linesQueued += lines.length;
    this.rowsIn++;
  }

  /**
   * A mark of what the spool holds now; settledThrough(mark) is true once all of it has left
   * (written or dead-lettered), whatever came after.
   */
  mark(): number {
    return this.rowsIn;
  }

  settledThrough(mark: number): boolean {
    return this.rowsOut >= mark;
  }

  /** A small value kept with the spool across restarts (the aggregate tier's progress). */
  meta(key: string): string | undefined {
    return (this.getMeta.get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.putMeta.run(key, value);
  }

  /** The last id claimed and not yet removed (0: none; then every row is unclaimed). */
  private get claimedTo(): number {
    return this.outstanding.length ? this.outstanding[this.outstanding.length - 1]!.last : 0;
  }

  /**
   * The oldest rows not yet claimed, up to about maxLines lines (at least one row), now claimed
   * until settle(). undefined: nothing unclaimed.
   */
  claim(maxLines: number): SpoolChunk | undefined {
    const chunk: SpoolChunk = { ids: [], body: '', lines: 0 };
    const bodies: string[] = [];
    type Row = { id: number; lines: number; body: string; rp: string | null };
    // iterate() reads row by row, so we stop as soon as the chunk is full; a chunk is one write,
    // so it holds the rows of one retention policy
    for (const r of this.pendingAfter.iterate(this.claimedTo, maxLines) as IterableIterator<Row>) {
      if (chunk.lines > 0 && chunk.lines + r.lines > maxLines) break;
      const rp = r.rp ?? undefined;
      if (chunk.ids.length === 0) chunk.rp = rp;
      else if (rp !== chunk.rp) break;
      chunk.ids.push(r.id);
      bodies.push(r.body);
      chunk.lines += r.lines;
    }
    if (chunk.ids.length === 0) return undefined;
    chunk.body = bodies.join('\n');
    this.outstanding.push({
      first: chunk.ids[0]!,
      last: chunk.ids[chunk.ids.length - 1]!,
      lines: chunk.lines,
      rows: chunk.ids.length,
    });
    this.claimedLines += chunk.lines;
    return chunk;
  }

  /**
   * A claimed chunk's outcome: written (stored) or refused for good (deadLetter: kept aside in
   * the dead_letter table, not dropped). Rows go once every older claim is settled too, in one
   * transaction.
   */
  settle(chunk: SpoolChunk, outcome: { stored: true } | { deadLetter: string }): void {
    const first = chunk.ids[0];
    const o = this.outstanding.find((x) => x.first === first);
    if (!o || o.outcome) throw new Error(`spool: chunk from row ${first} is not outstanding`);
    o.outcome = outcome;
    let n = 0;
    while (n < this.outstanding.length && this.outstanding[n]!.outcome) n++;
    if (n === 0) return;
    const settled = this.outstanding.splice(0, n);
    const now = Date.now();
    this.db.transaction(() => {
      for (const s of settled)
        if (s.outcome && 'deadLetter' in s.outcome)
          this.toDeadLetter.run(s.outcome.deadLetter, now, s.first, s.last);
      this.removeRange.run(settled[settled.length - 1]!.last);
    })();
    for (const s of settled) {
      this.linesQueued -= s.lines;
      this.claimedLines -= s.lines;
      this.rowsOut += s.rows;
    }
  }

  /** Claims not yet settled, and those settled but waiting for an older one. */
  get outstandingChunks(): number {
    return this.outstanding.length;
  }

  /** Lines in the spool, claimed or not. */
  get backlogLines(): number {
    return this.linesQueued;
  }

  /** Lines no write has claimed yet. */
  get unclaimedLines(): number {
    return this.linesQueued - this.claimedLines;
  }

  oldestAgeMs(): number {
    const row = this.oldest.get() as { received: number } | undefined;
    return row ? Date.now() - row.received : 0;
  }

  /** Age of the oldest row no write has claimed yet (0: none). */
  oldestUnclaimedAgeMs(): number {
    const row = this.oldestAfter.get(this.claimedTo) as { received: number } | undefined;
    return row ? Date.now() - row.received : 0;
  }

  deadLetterLines(): number {
    return (this.db.prepare('SELECT COALESCE(SUM(lines), 0) AS n FROM dead_letter').get() as { n: number }).n;
  }

  close(): void {
    this.db.close();
  }
}

import { openSqlite } from '@cicenns/common';
import type Database from 'better-sqlite3';

export interface DeadLetterLimits {
  /** the table keeps the newest this many rows */
  maxRows: number;
  /** of each payload, at most this many bytes are kept (payload_bytes says how large it was) */
  payloadBytes: number;
  /** at most this many rows written per second; more are counted, not written (a flood of bugs) */
  perSecond?: number;
}

export interface DeadLetter {
  id: number;
  at: number;
  topic: string;
  reason: string;
  detail: string;
  payload: Buffer;
  payloadBytes: number;
}

const TOPIC_CHARS = 1024;
const DETAIL_CHARS = 2000;

/**
 * DAQ messages the intake could not handle (an exception while handling one: a bug, not a bad
 * message, which is a counted reject), set aside so an expert can see what came and why it
 * failed. The message itself is acknowledged, so it is not delivered again and again.
 * Bounded: a row cap (oldest go first), payloads and texts cut, and a write rate limit.
 *   sqlite3 var/intake-dead-letters.db 'SELECT id, datetime(at/1000, "unixepoch"), topic, reason, detail FROM dead_letter ORDER BY id DESC LIMIT 20'
 */
export class DeadLetterStore {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly trim: Database.Statement;
  private readonly recent: Database.Statement;
  private windowStart = 0;
  private inWindow = 0;
  /** rows not written because of the rate limit */
  skipped = 0;
  written = 0;

  constructor(
    path: string,
    private readonly limits: DeadLetterLimits,
  ) {
    this.db = openSqlite(path);
    this.db.exec(`CREATE TABLE IF NOT EXISTS dead_letter (
      id INTEGER PRIMARY KEY, at INTEGER NOT NULL, topic TEXT NOT NULL, reason TEXT NOT NULL,
      detail TEXT NOT NULL, payload BLOB NOT NULL, payload_bytes INTEGER NOT NULL)`);
    this.insert = this.db.prepare(
      'INSERT INTO dead_letter (at, topic, reason, detail, payload, payload_bytes) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.trim = this.db.prepare('DELETE FROM dead_letter WHERE id <= ?');
    this.recent = this.db.prepare(
      'SELECT id, at, topic, reason, detail, payload, payload_bytes AS payloadBytes FROM dead_letter ORDER BY id DESC LIMIT ?',
    );
  }

  /** Keep one message; its row id, or undefined when the rate limit says no. */
  add(
    topic: string,
    payload: Buffer | string,
    reason: string,
    detail: string,
    now = Date.now(),
  ): number | undefined {
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (this.inWindow >= (this.limits.perSecond ?? 20)) {
      this.skipped++;
      return undefined;
    }
    this.inWindow++;
    const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
    const kept = bytes.subarray(0, this.limits.payloadBytes);
    const id = Number(
      this.insert.run(
        now,
        topic.slice(0, TOPIC_CHARS),
        reason,
        detail.slice(0, DETAIL_CHARS),
        kept,
        bytes.length,
      ).lastInsertRowid,
    );
    if (id > this.limits.maxRows) this.trim.run(id - this.limits.maxRows);
    this.written++;
    return id;
  }

  /** The newest rows, newest first (tests, tools). */
  latest(n: number): DeadLetter[] {
    return this.recent.all(n) as DeadLetter[];
  }

  close(): void {
    this.db.close();
  }
}

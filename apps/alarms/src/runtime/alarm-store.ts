import { openSqlite } from '@cicenns/common';
import type Database from 'better-sqlite3';
import type { AlarmRecord } from './alarm-record';
import type { JournalEvent } from '@cicenns/contracts';

export interface JournalQuery {
  alarmId?: string;
  /** epoch ms: only events at or after */
  since?: number;
  /** newest first, at most this many */
  limit?: number;
}

/**
 * The alarm service's memory across restarts: the current record of every alarm and the
 * journal of every transition, in SQLite (WAL). A transition's record and its journal event are
 * written in one transaction, so a killed process never leaves one without the other.
 */
export class AlarmStore {
  private readonly db: Database.Database;
  private readonly upsert: Database.Statement;
  private readonly append: Database.Statement;

  constructor(path: string) {
    this.db = openSqlite(path);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS alarm (alarm_id TEXT PRIMARY KEY, record TEXT NOT NULL, updated INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, alarm_id TEXT NOT NULL, event TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS journal_alarm ON journal (alarm_id, seq);
      CREATE INDEX IF NOT EXISTS journal_ts ON journal (ts);
    `);
    this.upsert = this.db.prepare(
      'INSERT INTO alarm (alarm_id, record, updated) VALUES (?, ?, ?) ' +
        'ON CONFLICT(alarm_id) DO UPDATE SET record = excluded.record, updated = excluded.updated',
    );
    this.append = this.db.prepare('INSERT INTO journal (ts, alarm_id, event) VALUES (?, ?, ?)');
  }

  /** Persist records and their events together; events get their sequence number. */
  commit(records: AlarmRecord[], events: JournalEvent[]): void {
    if (records.length === 0 && events.length === 0) return;
    this.db.transaction(() => {
      for (const r of records) this.upsert.run(r.alarmId, JSON.stringify(r), r.updatedAt);
      for (const e of events) {
        const body: JournalEvent = { ...e };
        delete body.seq;
        e.seq = Number(this.append.run(e.ts, e.alarmId, JSON.stringify(body)).lastInsertRowid);
      }
    })();
  }

  loadRecords(): AlarmRecord[] {
    const rows = this.db.prepare('SELECT record FROM alarm').all() as { record: string }[];
    return rows.map((r) => JSON.parse(r.record) as AlarmRecord);
  }

  journal(q: JournalQuery = {}): JournalEvent[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.alarmId) {
      where.push('alarm_id = ?');
      args.push(q.alarmId);
    }
    if (q.since !== undefined) {
      where.push('ts >= ?');
      args.push(q.since);
    }
    const sql =
      `SELECT seq, event FROM journal ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ` +
      'ORDER BY seq DESC LIMIT ?';
    args.push(q.limit ?? 1000);
    const rows = this.db.prepare(sql).all(...args) as { seq: number; event: string }[];
    return rows.map((r) => ({ seq: r.seq, ...(JSON.parse(r.event) as JournalEvent) }));
  }

  journalLength(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM journal').get() as { n: number }).n;
  }

  close(): void {
    this.db.close();
  }
}

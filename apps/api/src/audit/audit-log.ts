import { openSqlite } from '@cicenns/common';
import type Database from 'better-sqlite3';

export type AuditOutcome = 'ok' | 'refused' | 'failed';

export interface AuditEntry {
  ts: number;
  user: string;
  role: string;
  origin: string;
  action: string;
  target: string;
  params: unknown;
  outcome: AuditOutcome;
  detail: string;
}

export type AuditRecord = Omit<AuditEntry, 'ts'> & { ts?: number };

/**
 * Who did what, when, from where, and how it ended: every control and alarm action, refused ones
 * and logins included. SQLite in WAL mode; each entry is committed before the request returns.
 */
export class AuditLog {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;

  constructor(path: string) {
    this.db = openSqlite(path);
    this.db.exec(`CREATE TABLE IF NOT EXISTS audit (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      ts INTEGER NOT NULL, user TEXT NOT NULL, role TEXT NOT NULL, origin TEXT NOT NULL,
      action TEXT NOT NULL, target TEXT NOT NULL, params TEXT NOT NULL,
      outcome TEXT NOT NULL, detail TEXT NOT NULL)`);
    this.insert = this.db.prepare(
      `INSERT INTO audit (ts, user, role, origin, action, target, params, outcome, detail)
       VALUES (@ts, @user, @role, @origin, @action, @target, @params, @outcome, @detail)`,
    );
  }

  record(e: AuditRecord): void {
    this.insert.run({
      ...e,
      ts: e.ts ?? Date.now(),
      params: JSON.stringify(e.params ?? null).slice(0, 8000),
      detail: e.detail.slice(0, 4000),
    });
  }

  /** Newest first. */
  list(opts: { limit: number; action?: string; user?: string }): (AuditEntry & { id: number })[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM audit WHERE (@action IS NULL OR action = @action) AND (@user IS NULL OR user = @user)
         ORDER BY id DESC LIMIT @limit`,
      )
      .all({ limit: opts.limit, action: opts.action ?? null, user: opts.user ?? null }) as (Omit<
      AuditEntry,
      'params'
    > & { id: number; params: string })[];
    return rows.map((r) => ({ ...r, params: JSON.parse(r.params) as unknown }));
  }

  close(): void {
    this.db.close();
  }
}

import { openSqlite } from '@cicenns/common';
import type Database from 'better-sqlite3';
import { requestContext } from '../http/request-context';
import { boundedJson } from './bounded-json';

export type AuditOutcome = 'ok' | 'refused' | 'failed';

export interface AuditEntry {
  ts: number;
  user: string;
  role: string;
  origin: string;
  /** the HTTP Origin header of the request ('' for scripts, which send none) */
  httpOrigin: string;
  action: string;
  target: string;
  params: unknown;
  outcome: AuditOutcome;
  detail: string;
}

/** ts defaults to now, httpOrigin to the Origin header of the request being handled */
export type AuditRecord = Omit<AuditEntry, 'ts' | 'httpOrigin'> & { ts?: number; httpOrigin?: string };

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
    // added later: logs written before have '' there
    const columns = this.db.prepare('PRAGMA table_info(audit)').all() as { name: string }[];
    if (!columns.some((c) => c.name === 'http_origin'))
      this.db.exec(`ALTER TABLE audit ADD COLUMN http_origin TEXT NOT NULL DEFAULT ''`);
    this.insert = this.db.prepare(
      `INSERT INTO audit (ts, user, role, origin, http_origin, action, target, params, outcome, detail)
       VALUES (@ts, @user, @role, @origin, @httpOrigin, @action, @target, @params, @outcome, @detail)`,
    );
  }

  /** Params are stored as bounded JSON (depth, length, items): whatever a client sent fits. */
  record(e: AuditRecord): void {
    this.insert.run({
      ts: e.ts ?? Date.now(),
      user: e.user.slice(0, 200),
      role: e.role,
      origin: e.origin,
      httpOrigin: (e.httpOrigin ?? requestContext.getStore()?.httpOrigin ?? '').slice(0, 200),
      action: e.action,
      target: e.target.slice(0, 500),
      params: boundedJson(e.params ?? null),
      outcome: e.outcome,
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
    > & { id: number; params: string; http_origin: string })[];
    return rows.map(({ http_origin, ...r }) => ({
      ...r,
      httpOrigin: http_origin,
      params: JSON.parse(r.params) as unknown,
    }));
  }

  close(): void {
    this.db.close();
  }
}

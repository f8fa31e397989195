import { openSqlite } from '@cicenns/common';
import type { ProposalState, ReportEntry, RunState, StepProgress } from '@cicenns/contracts';
import type { CalibrationRecord, Procedure } from '@cicenns/model';
import type Database from 'better-sqlite3';

/** A run as stored: what was asked, by whom, with which procedure (resolved, as it was then). */
export interface RunRecord {
  runId: string;
  procedure: Procedure;
  target: string | string[];
  pmts: string[];
  state: RunState;
  reason?: string;
  startedBy: string;
  origin?: string;
  comment?: string;
  startedAt: number;
  endedAt?: number;
  beam?: { on: boolean; power_kw: number; at: number } | null;
  /** the manual items of the procedure's preconditions for the tube types of this run */
  manualItems: string[];
  /** an abort was asked: a restart goes straight to switching the channels off */
  abortRequested?: { by: string; at: number };
  pausedBy?: string;
}

export interface StoredStep {
  runId: string;
  pmt: string;
  progress: StepProgress;
}

export interface Confirmation {
  item: string;
  by: string;
  at: number;
}

export interface ProposalRecord {
  runId: string;
  pmt: string;
  version: number;
  state: ProposalState;
  record: CalibrationRecord;
  previous?: CalibrationRecord;
  createdAt: number;
  decidedBy?: string;
  decidedAt?: number;
  comment?: string;
}

export interface RunEvent {
  seq?: number;
  runId: string;
  ts: number;
  /** start, confirm, pause, resume, abort, hv-set, hv-write, hv-off, daq-request, daq-result, step, proposal, approve, reject... */
  kind: string;
  pmt?: string;
  detail?: Record<string, unknown>;
}

export interface StoredReport extends ReportEntry {
  content: string;
}

const ACTIVE: RunState[] = ['waiting', 'running', 'paused'];

/**
 * The commissioning service's memory (SQLite, WAL): runs, each PMT's progress per step,
 * confirmations, proposed and decided calibrations, the event log of every action (the audit of
 * commissioning) and the reports. Every write is one statement or one transaction, committed
 * before the caller goes on: a SIGKILL loses nothing that was done before it.
 */
export class CommissioningStore {
  private readonly db: Database.Database;
  private readonly st: Record<string, Database.Statement>;

  constructor(path: string) {
    this.db = openSqlite(path);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS run (run_id TEXT PRIMARY KEY, state TEXT NOT NULL, started_at INTEGER NOT NULL, body TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS run_started ON run (started_at);
      CREATE TABLE IF NOT EXISTS step (run_id TEXT NOT NULL, pmt TEXT NOT NULL, step_id TEXT NOT NULL, body TEXT NOT NULL,
        PRIMARY KEY (run_id, pmt, step_id));
      CREATE TABLE IF NOT EXISTS confirmation (run_id TEXT NOT NULL, item TEXT NOT NULL, by TEXT NOT NULL, at INTEGER NOT NULL,
        PRIMARY KEY (run_id, item));
      CREATE TABLE IF NOT EXISTS proposal (pmt TEXT NOT NULL, version INTEGER NOT NULL, run_id TEXT NOT NULL, state TEXT NOT NULL,
        body TEXT NOT NULL, PRIMARY KEY (pmt, version));
      CREATE INDEX IF NOT EXISTS proposal_run ON proposal (run_id);
      CREATE TABLE IF NOT EXISTS event (seq INTEGER PRIMARY KEY, run_id TEXT NOT NULL, ts INTEGER NOT NULL, kind TEXT NOT NULL,
        pmt TEXT, detail TEXT);
      CREATE INDEX IF NOT EXISTS event_run ON event (run_id, seq);
      CREATE TABLE IF NOT EXISTS report (run_id TEXT NOT NULL, format TEXT NOT NULL, generated_at INTEGER NOT NULL,
        content TEXT NOT NULL, PRIMARY KEY (run_id, format));
    `);
    const p = (sql: string) => this.db.prepare(sql);
    this.st = {
      putRun: p(`INSERT INTO run (run_id, state, started_at, body) VALUES (?, ?, ?, ?)
           ON CONFLICT(run_id) DO UPDATE SET state = excluded.state, body = excluded.body`),
      getRun: p('SELECT body FROM run WHERE run_id = ?'),
      putStep: p(`INSERT INTO step (run_id, pmt, step_id, body) VALUES (?, ?, ?, ?)
           ON CONFLICT(run_id, pmt, step_id) DO UPDATE SET body = excluded.body`),
      steps: p('SELECT pmt, body FROM step WHERE run_id = ?'),
      confirm: p('INSERT OR IGNORE INTO confirmation (run_id, item, by, at) VALUES (?, ?, ?, ?)'),
      confirmations: p('SELECT item, by, at FROM confirmation WHERE run_id = ? ORDER BY at, item'),
      putProposal: p(`INSERT INTO proposal (pmt, version, run_id, state, body) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(pmt, version) DO UPDATE SET state = excluded.state, body = excluded.body`),
      runProposals: p('SELECT body FROM proposal WHERE run_id = ? ORDER BY pmt'),
      pmtProposals: p('SELECT body FROM proposal WHERE pmt = ? ORDER BY version'),
      allProposals: p('SELECT body FROM proposal ORDER BY pmt, version'),
      maxVersion: p('SELECT MAX(version) AS v FROM proposal WHERE pmt = ?'),
      event: p('INSERT INTO event (run_id, ts, kind, pmt, detail) VALUES (?, ?, ?, ?, ?)'),
      putReport: p(`INSERT INTO report (run_id, format, generated_at, content) VALUES (?, ?, ?, ?)
           ON CONFLICT(run_id, format) DO UPDATE SET generated_at = excluded.generated_at, content = excluded.content`),
      getReport: p(
        'SELECT run_id, format, generated_at, content FROM report WHERE run_id = ? AND format = ?',
      ),
    };
  }

  // ---------- runs ----------

  saveRun(run: RunRecord): void {
    this.st.putRun.run(run.runId, run.state, run.startedAt, JSON.stringify(run));
  }

  run(runId: string): RunRecord | undefined {
    const row = this.st.getRun.get(runId) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as RunRecord) : undefined;
  }

  /** newest first */
  runs(limit = 100): RunRecord[] {
    const rows = this.db
      .prepare('SELECT body FROM run ORDER BY started_at DESC, run_id DESC LIMIT ?')
      .all(limit);
    return (rows as { body: string }[]).map((r) => JSON.parse(r.body) as RunRecord);
  }

  /** runs that were waiting, running or paused (to continue after a restart), oldest first */
  activeRuns(): RunRecord[] {
    const rows = this.db
      .prepare(`SELECT body FROM run WHERE state IN (${ACTIVE.map(() => '?').join(',')}) ORDER BY started_at`)
      .all(...ACTIVE);
    return (rows as { body: string }[]).map((r) => JSON.parse(r.body) as RunRecord);
  }

  // ---------- steps ----------

  saveStep(runId: string, pmt: string, progress: StepProgress): void {
    this.st.putStep.run(runId, pmt, progress.id, JSON.stringify(progress));
  }

  /** pmt -> step id -> progress */
  steps(runId: string): Map<string, Map<string, StepProgress>> {
    const out = new Map<string, Map<string, StepProgress>>();
    for (const row of this.st.steps.all(runId) as { pmt: string; body: string }[]) {
      const p = JSON.parse(row.body) as StepProgress;
      let m = out.get(row.pmt);
      if (!m) out.set(row.pmt, (m = new Map()));
      m.set(p.id, p);
    }
    return out;
  }

  // ---------- confirmations ----------

  /** true if the item was not confirmed before */
  confirm(runId: string, c: Confirmation): boolean {
    return this.st.confirm.run(runId, c.item, c.by, c.at).changes > 0;
  }

  confirmations(runId: string): Confirmation[] {
    return this.st.confirmations.all(runId) as Confirmation[];
  }

  // ---------- proposals ----------

  saveProposal(p: ProposalRecord): void {
    this.st.putProposal.run(p.pmt, p.version, p.runId, p.state, JSON.stringify(p));
  }

  proposalsOfRun(runId: string): ProposalRecord[] {
    return (this.st.runProposals.all(runId) as { body: string }[]).map(
      (r) => JSON.parse(r.body) as ProposalRecord,
    );
  }

  proposalsOfPmt(pmt?: string): ProposalRecord[] {
    const rows = (pmt ? this.st.pmtProposals.all(pmt) : this.st.allProposals.all()) as { body: string }[];
    return rows.map((r) => JSON.parse(r.body) as ProposalRecord);
  }

  /** the highest version any proposal of this PMT has (proposed, approved or rejected), 0 if none */
  maxProposedVersion(pmt: string): number {
    return (this.st.maxVersion.get(pmt) as { v: number | null }).v ?? 0;
  }

  /** Several writes that belong together (a decision and its event) in one transaction. */
  transaction(fn: () => void): void {
    this.db.transaction(fn)();
  }

  // ---------- event log ----------

  event(e: RunEvent): number {
    const r = this.st.event.run(
      e.runId,
      e.ts,
      e.kind,
      e.pmt ?? null,
      e.detail ? JSON.stringify(e.detail) : null,
    );
    return Number(r.lastInsertRowid);
  }

  /** oldest first */
  events(runId: string, opts: { kind?: string; pmt?: string; limit?: number } = {}): RunEvent[] {
    const where = ['run_id = ?'];
    const args: (string | number)[] = [runId];
    if (opts.kind) {
      where.push('kind = ?');
      args.push(opts.kind);
    }
    if (opts.pmt) {
      where.push('pmt = ?');
      args.push(opts.pmt);
    }
    args.push(opts.limit ?? 100_000);
    const rows = this.db
      .prepare(
        `SELECT seq, run_id, ts, kind, pmt, detail FROM event WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`,
      )
      .all(...args) as {
      seq: number;
      run_id: string;
      ts: number;
      kind: string;
      pmt: string | null;
      detail: string | null;
    }[];
    return rows.map((r) => ({
      seq: r.seq,
      runId: r.run_id,
      ts: r.ts,
      kind: r.kind,
      ...(r.pmt !== null && { pmt: r.pmt }),
      ...(r.detail !== null && { detail: JSON.parse(r.detail) as Record<string, unknown> }),
    }));
  }

  // ---------- reports ----------

  saveReport(r: { runId: string; format: 'html' | 'md'; generatedAt: number; content: string }): void {
    this.st.putReport.run(r.runId, r.format, r.generatedAt, r.content);
  }

  report(runId: string, format: 'html' | 'md'): StoredReport | undefined {
    const row = this.st.getReport.get(runId, format) as
      { run_id: string; format: 'html' | 'md'; generated_at: number; content: string } | undefined;
    return row
      ? {
          runId: row.run_id,
          format: row.format,
          generatedAt: row.generated_at,
          bytes: Buffer.byteLength(row.content),
          content: row.content,
        }
      : undefined;
  }

  reports(runId?: string): ReportEntry[] {
    const rows = this.db
      .prepare(
        `SELECT run_id, format, generated_at, length(CAST(content AS BLOB)) AS bytes FROM report
         ${runId ? 'WHERE run_id = ?' : ''} ORDER BY generated_at DESC LIMIT 1000`,
      )
      .all(...(runId ? [runId] : [])) as {
      run_id: string;
      format: 'html' | 'md';
      generated_at: number;
      bytes: number;
    }[];
    return rows.map((r) => ({
      runId: r.run_id,
      format: r.format,
      generatedAt: r.generated_at,
      bytes: r.bytes,
    }));
  }

  close(): void {
    this.db.close();
  }
}

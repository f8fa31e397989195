/**
 * `cicenns commission ...`: commissioning runs through the API. Exit codes: 0 a run finished with
 * every PMT passed (or an action was done), 1 a PMT failed or the run was aborted, 2 usage, 3 the
 * API refused (role, state, a PMT busy in another run, the service away).
 */
import { writeFileSync } from 'node:fs';
import type { RunSummary, RunView } from '@cicenns/contracts';
import { ApiError, type ApiClient } from '../client';
import { out, table, time } from './format';
import { BarsDisplay, LinesDisplay, runLine, verdictLine, type RunDisplay } from './run-progress';

export const EXIT = { ok: 0, failed: 1, usage: 2, refused: 3 } as const;

/** A mistake in the command line: the usage, exit 2. */
export class UsageError extends Error {}

export interface CommissionOptions {
  procedure?: string;
  /** manual items done, comma separated */
  confirm?: string;
  comment?: string;
  pmt?: string[];
  format?: string;
  out?: string;
  watch?: boolean;
  json?: boolean;
  /** poll period of the run while following it */
  pollMs?: number;
  /** bars on a terminal, lines otherwise */
  tty?: boolean;
}

export const COMMISSION_USAGE = `  cicenns commission run <target> [--procedure P] [--confirm item,item] [--comment "..."]
                 (expert) start and follow: a bar per PMT, each step's verdict
        target: a PMT (CsI01-A), a crystal or panel (CsI01), crystals, veto, all, or a comma list
  cicenns commission status [runId] [--watch]  active runs, or one run's checklist (--watch: follow)
  cicenns commission list                      every run
  cicenns commission pause|resume|abort <runId> [--comment "..."]              (expert)
  cicenns commission confirm <runId> <item...>                                 (expert)
  cicenns commission approve|reject <runId> [--pmt X ...] --comment "..."      (expert)
  cicenns commission report <runId> [--format html|md] [--out file]
        exit: 0 all passed, 1 a PMT failed or the run aborted, 2 usage, 3 refused
`;

const path = (runId: string, what = '') =>
  `/api/commissioning/runs/${encodeURIComponent(runId)}${what ? `/${what}` : ''}`;
const ACTIVE = new Set(['waiting', 'running', 'paused']);

export async function commission(api: ApiClient, args: string[], o: CommissionOptions): Promise<number> {
  try {
    return await dispatch(api, args, o);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`cicenns commission: ${err.message}\n\n${COMMISSION_USAGE}`);
      return EXIT.usage;
    }
    if (err instanceof ApiError) {
      process.stderr.write(`cicenns commission: refused: ${err.message}\n`);
      return EXIT.refused;
    }
    throw err;
  }
}

async function dispatch(api: ApiClient, [sub, ...args]: string[], o: CommissionOptions): Promise<number> {
  const runId = () => {
    if (!args[0]) throw new UsageError(`${sub}: give the run id (cicenns commission list)`);
    return args[0];
  };
  switch (sub) {
    case 'run':
      return run(api, args, o);
    case 'status':
      return args[0] ? runStatus(api, args[0], o) : active(api, o);
    case 'list':
      return list(api, o);
    case 'pause':
    case 'resume':
    case 'abort': {
      const r = await api.post<RunView>(path(runId(), sub), o.comment ? { comment: o.comment } : {});
      return said(o, r, runLine(r));
    }
    case 'confirm': {
      const id = runId();
      if (args.length < 2) throw new UsageError('confirm: give the run id and the items confirmed');
      const r = await api.post<RunView>(path(id, 'confirm'), {
        items: args.slice(1),
        ...(o.comment && { comment: o.comment }),
      });
      return said(o, r, runLine(r));
    }
    case 'approve':
    case 'reject': {
      const id = runId();
      if (!o.comment?.trim()) throw new UsageError(`${sub}: --comment "..." is required`);
      const r = await api.post<unknown>(path(id, sub), {
        comment: o.comment,
        ...(o.pmt?.length && { pmts: o.pmt }),
      });
      const what = o.pmt?.length ? o.pmt.join(', ') : 'every proposal';
      said(o, r, `${sub === 'approve' ? 'approved' : 'rejected'}: ${what} of run ${id}`);
      if (sub === 'approve' && !o.json)
        for (const line of applyHints(await api.get<RunView>(path(id)), o.pmt)) out(line);
      return EXIT.ok;
    }
    case 'report':
      return report(api, runId(), o);
  }
  throw new UsageError(sub ? `unknown subcommand "${sub}"` : 'give a subcommand');
}

function said(o: CommissionOptions, r: unknown, line: string): number {
  out(o.json ? JSON.stringify(r, null, 2) : line);
  return EXIT.ok;
}

/**
 * The approved operating voltages go on through the HV path (preview, confirm, audit), never
 * from here: the command that does it, per PMT.
 */
export function applyHints(r: RunView, pmts?: string[]): string[] {
  return r.pmts
    .filter((p) => p.proposal?.state === 'approved' && (!pmts?.length || pmts.includes(p.pmt)))
    .flatMap((p) => {
      const v = p.proposal!.record.hvV;
      return typeof v === 'number' ? [`  operating voltage: cicenns hv set ${p.pmt} --vset ${v}`] : [];
    });
}

/** Manual items given up front; the API records them in the caller's name. */
export function confirmations(list: string | undefined): string[] | undefined {
  const items = (list ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return items.length ? items : undefined;
}

/** A target as the contracts take it: one name, or a list of names. */
export function parseCommissionTarget(t: string | undefined): string | string[] {
  if (!t?.trim())
    throw new UsageError(
      'run: give a target: a PMT, a crystal or panel, crystals, veto, all, or a comma list',
    );
  const names = t
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return names.length === 1 ? names[0] : names;
}

async function run(api: ApiClient, args: string[], o: CommissionOptions): Promise<number> {
  const body = {
    target: parseCommissionTarget(args[0]),
    ...(o.procedure && { procedure: o.procedure }),
    ...(confirmations(o.confirm) && { confirmations: confirmations(o.confirm) }),
    ...(o.comment && { comment: o.comment }),
  };
  const started = await api.post<RunView>('/api/commissioning/runs', body);
  if (!o.json) out(`started run ${started.runId} (${started.procedure}) on ${started.pmts.length} PMT(s)`);
  return follow(api, started, o);
}

/** Poll the run about once a second until it ends; the exit code from how it ended. */
async function follow(api: ApiClient, first: RunView, o: CommissionOptions): Promise<number> {
  const display: RunDisplay | null = o.json
    ? null
    : (o.tty ?? process.stdout.isTTY)
      ? new BarsDisplay(process.stdout)
      : new LinesDisplay(out);
  let r = first;
  const stop = () => {
    display?.end();
    process.stderr.write(
      `\nstopped following; run ${r.runId} goes on (cicenns commission status ${r.runId} --watch)\n`,
    );
    process.exit(EXIT.failed);
  };
  process.once('SIGINT', stop);
  try {
    for (;;) {
      display?.show(r);
      if (!ACTIVE.has(r.state)) break;
      await new Promise((res) => setTimeout(res, o.pollMs ?? 1000));
      r = await api.get<RunView>(path(r.runId));
    }
  } finally {
    display?.end();
    process.removeListener('SIGINT', stop);
  }
  if (o.json) out(JSON.stringify(r, null, 2));
  else summary(r);
  return outcome(r);
}

export function outcome(r: RunView): number {
  if (ACTIVE.has(r.state)) return EXIT.ok;
  return r.state === 'finished' && r.counts.failed === 0 && r.counts.aborted === 0 ? EXIT.ok : EXIT.failed;
}

/** After the run: each PMT's result; the failures with their reason; the proposals to decide. */
function summary(r: RunView): void {
  out(runLine(r));
  const failed = r.pmts.filter((p) => p.state === 'failed' || p.state === 'aborted');
  for (const p of failed) {
    const s = p.steps.find((x) => x.state === 'failed' || x.state === 'aborted');
    out(`  ${s ? verdictLine(p.pmt, s) : `${p.pmt} ${p.state.toUpperCase()}`}`);
  }
  const proposed = r.pmts.filter((p) => p.proposal?.state === 'proposed');
  if (proposed.length)
    out(
      `${proposed.length} calibration(s) proposed: cicenns commission approve ${r.runId} --comment "..." (or reject)`,
    );
}

async function runStatus(api: ApiClient, runId: string, o: CommissionOptions): Promise<number> {
  const r = await api.get<RunView>(path(runId));
  if (o.watch) return follow(api, r, o);
  if (o.json) {
    out(JSON.stringify(r, null, 2));
    return outcome(r);
  }
  out(runLine(r));
  out(checklist(r));
  return outcome(r);
}

/** PMT rows, step columns: each step's state (and the failing one's reason after the table). */
export function checklist(r: RunView): string {
  const steps = r.pmts[0]?.steps.map((s) => s.id) ?? [];
  const mark: Record<string, string> = {
    pending: '·',
    running: '▶ running',
    waiting: '… waiting',
    passed: '✔ pass',
    failed: '✖ FAIL',
    skipped: '- skip',
    aborted: '■ aborted',
  };
  const rows = r.pmts.map((p) => [
    p.pmt,
    p.state,
    ...steps.map((id) => {
      const s = p.steps.find((x) => x.id === id);
      return s ? (mark[s.state] ?? s.state) : '';
    }),
    p.proposal ? `${p.proposal.state} v${p.proposal.version}` : '',
  ]);
  const reasons = r.pmts.flatMap((p) =>
    p.steps.filter((s) => s.state === 'failed').map((s) => `  ${verdictLine(p.pmt, s)}`),
  );
  return [table([['PMT', 'STATE', ...steps, 'PROPOSAL'], ...rows]), ...reasons].join('\n');
}

async function active(api: ApiClient, o: CommissionOptions): Promise<number> {
  const runs = (await api.get<RunSummary[]>('/api/commissioning/runs')).filter((r) => ACTIVE.has(r.state));
  if (o.json) out(JSON.stringify(runs, null, 2));
  else if (!runs.length) out('no active commissioning run');
  else for (const r of runs) out(runLine({ ...r, pmts: [] }));
  return EXIT.ok;
}

async function list(api: ApiClient, o: CommissionOptions): Promise<number> {
  const runs = await api.get<RunSummary[]>('/api/commissioning/runs');
  if (o.json) out(JSON.stringify(runs, null, 2));
  else if (!runs.length) out('no commissioning runs');
  else
    out(
      table([
        ['RUN', 'STATE', 'PROCEDURE', 'TARGET', 'STARTED', 'BY', 'PASSED', 'FAILED'],
        ...runs.map((r) => [
          r.runId,
          r.state,
          r.procedure,
          Array.isArray(r.target) ? r.target.join(',') : r.target,
          time(r.startedAt),
          r.startedBy,
          r.counts.passed,
          r.counts.failed,
        ]),
      ]),
    );
  return EXIT.ok;
}

async function report(api: ApiClient, runId: string, o: CommissionOptions): Promise<number> {
  const format = o.format ?? 'html';
  if (format !== 'html' && format !== 'md')
    throw new UsageError(`report: --format html or md, not "${format}"`);
  const doc = await api.text(`${path(runId, 'report')}?format=${format}`);
  if (!o.out) {
    process.stdout.write(doc);
    return EXIT.ok;
  }
  writeFileSync(o.out, doc);
  out(`wrote ${o.out} (${Buffer.byteLength(doc)} bytes)`);
  return EXIT.ok;
}

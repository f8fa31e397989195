/**
 * What a commissioning report says, as plain rows of text: the HTML and the Markdown report both
 * render these, so the two cannot disagree. Every value from the run is clipped here (bounded
 * output) and escaped by the renderer.
 */
import type {
  GainFit,
  PmtRunView,
  ProposalView,
  RunView,
  ScanPoint,
  StepCheck,
  StepProgress,
} from '@cicenns/contracts';
import { formatSci, formatVolts, formatWithErr } from '../analysis/format';
import { clip } from './escape';

export interface ReportContext {
  site: string;
  generatedAt: number;
}

/** a label and its value */
export type Field = [string, string];

export interface SummaryRow {
  pmt: string;
  tube: string;
  state: string;
  failedStep: string;
  reason: string;
  hv: string;
  gain: string;
  beta: string;
  dcr: string;
  proposal: string;
}

export interface CheckRow {
  step: string;
  state: string;
  name: string;
  value: string;
  limit: string;
  pass: string;
}

export interface StepSection {
  id: string;
  kind: string;
  state: string;
  verdict: string;
  checks: CheckRow[];
}

export interface SignOff {
  decided: boolean;
  state: string;
  by: string;
  at: string;
  comment: string;
}

export interface PmtSection {
  pmt: string;
  tube: string;
  state: string;
  steps: StepSection[];
  dcrPoints: ScanPoint[];
  gainPoints: ScanPoint[];
  fit?: GainFit;
  fitFields: Field[];
  /** field, proposed, previous */
  comparison: [string, string, string][];
  proposalVersion?: number;
  signOff?: SignOff;
}

/** plots and tables show at most this many points of a scan (a procedure has ~6-12) */
export const MAX_POINTS = 100;
const MAX_CHECKS = 50;
const MAX_STEPS = 50;

export function formatTime(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function header(run: RunView, ctx: ReportContext): Field[] {
  const beam = run.beam
    ? `${run.beam.on ? 'on' : 'off'}, ${formatSci(run.beam.power_kw)} kW (${formatTime(run.beam.at)})`
    : 'unknown';
  return [
    ['Run', run.runId],
    ['Site', clip(ctx.site, 200)],
    ['Procedure', `${clip(run.procedure, 100)}: ${clip(run.title, 200)}`],
    ['Target', clip(Array.isArray(run.target) ? run.target.join(', ') : run.target, 1000)],
    ['State', run.reason ? `${run.state} (${clip(run.reason, 500)})` : run.state],
    [
      'Started by',
      run.origin ? `${clip(run.startedBy, 100)} from ${clip(run.origin, 100)}` : clip(run.startedBy, 100),
    ],
    ['Started', formatTime(run.startedAt)],
    ['Ended', formatTime(run.endedAt)],
    ['Beam at start', beam],
    [
      'PMTs',
      `${run.pmts.length}: ${run.counts.passed} passed, ${run.counts.failed} failed, ${run.counts.aborted} aborted, ${run.counts.running} running, ${run.counts.pending} pending`,
    ],
    ['Report generated', formatTime(ctx.generatedAt)],
  ];
}

export function confirmations(run: RunView): { item: string; by: string; at: string }[] {
  const done = run.confirmations
    .slice(0, 100)
    .map((c) => ({ item: clip(c.item, 100), by: clip(c.by, 100), at: formatTime(c.at) }));
  const pending = run.pendingConfirmations
    .slice(0, 100)
    .map((item) => ({ item: clip(item, 100), by: 'not confirmed', at: '' }));
  return [...done, ...pending];
}

export function summaryRows(run: RunView): SummaryRow[] {
  return run.pmts.map((p) => {
    const failed = failedStep(p);
    const record = p.proposal?.record ?? {};
    const errors = (isObject(record.errors) ? record.errors : {}) as Record<string, unknown>;
    return {
      pmt: clip(p.pmt, 100),
      tube: `${p.group} ${clip(p.tubeType, 50)}`,
      state: p.state,
      failedStep: failed ? clip(failed.id, 100) : p.state === 'failed' && p.step ? clip(p.step, 100) : '',
      reason: failed?.verdict ? clip(failed.verdict, 500) : '',
      hv: typeof record.hvV === 'number' ? formatVolts(record.hvV, num(errors.hvV)) : '',
      gain: typeof record.gain === 'number' ? formatSci(record.gain) : '',
      beta: typeof record.beta === 'number' ? withErr(record.beta, num(errors.beta)) : '',
      dcr: typeof record.dcrHz === 'number' ? `${withErr(record.dcrHz, num(errors.dcrHz))} Hz` : '',
      proposal: p.proposal ? `v${p.proposal.version} ${p.proposal.state}` : '',
    };
  });
}

export function pmtSection(p: PmtRunView): PmtSection {
  const steps = p.steps.slice(0, MAX_STEPS);
  const dcrStep = steps.find((s) => s.kind === 'dcr-scan');
  const gainStep = steps.find((s) => s.kind === 'gain-curve');
  const fit = gainStep?.fit;
  return {
    pmt: clip(p.pmt, 100),
    tube: `${p.group} ${clip(p.tubeType, 50)}`,
    state: p.state,
    steps: steps.map(stepSection),
    dcrPoints: (dcrStep?.points ?? []).slice(0, MAX_POINTS),
    gainPoints: (gainStep?.points ?? []).slice(0, MAX_POINTS),
    fit,
    fitFields: fit ? fitFields(fit) : [],
    comparison: p.proposal ? comparison(p.proposal) : [],
    proposalVersion: p.proposal?.version,
    signOff: p.proposal ? signOff(p.proposal) : undefined,
  };
}

function stepSection(s: StepProgress): StepSection {
  return {
    id: clip(s.id, 100),
    kind: clip(s.kind, 50),
    state: s.state,
    verdict: clip(s.verdict ?? '', 1000),
    checks: (s.checks ?? []).slice(0, MAX_CHECKS).map((c) => checkRow(s, c)),
  };
}

function checkRow(s: StepProgress, c: StepCheck): CheckRow {
  return {
    step: clip(s.id, 100),
    state: s.state,
    name: clip(c.name, 100),
    value: `${formatValue(c.value)}${c.unit && c.value !== null ? ` ${clip(c.unit, 20)}` : ''}`,
    limit: `${clip(c.limit, 200)}${c.unit ? ` ${clip(c.unit, 20)}` : ''}`,
    pass: c.pass ? 'pass' : 'FAIL',
  };
}

function fitFields(fit: GainFit): Field[] {
  return [
    ['G0 at V0', `${formatSci(fit.g0, 3)} ± ${formatSci(fit.g0Err)} at ${formatVolts(fit.v0)}`],
    ['beta', withErr(fit.beta, fit.betaErr)],
    ['corr(ln G0, beta)', fit.corr.toFixed(3)],
    [
      'chi2 / dof',
      `${fit.chi2.toFixed(2)} / ${fit.dof}${fit.dof > 0 ? ` = ${(fit.chi2 / fit.dof).toFixed(2)}` : ''}`,
    ],
    ['target gain', formatSci(fit.targetGain)],
    [
      'operating voltage',
      fit.vOp === null ? 'none within the channel limits' : formatVolts(fit.vOp, fit.vOpErr),
    ],
  ];
}

/** the calibration fields in a fixed order, then any others either record has */
const RECORD_ORDER = [
  'version',
  'hvV',
  'gain',
  'beta',
  'dcrHz',
  'dcrRefTempC',
  'dcrTempCoeffPerC',
  'gainTempCoeffPerC',
  'validFrom',
  'measuredAt',
  'method',
  'by',
  'run',
  'note',
  'approvedBy',
  'approvedAt',
];

function comparison(proposal: ProposalView): [string, string, string][] {
  const record = proposal.record ?? {};
  const previous = proposal.previous ?? {};
  const keys = [...new Set([...Object.keys(record), ...Object.keys(previous)])].filter(
    (k) => k !== 'pmt' && k !== 'errors',
  );
  keys.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return keys
    .slice(0, 40)
    .map((k) => [clip(k, 50), recordValue(record, k), proposal.previous ? recordValue(previous, k) : '']);
}

function rank(key: string): number {
  const i = RECORD_ORDER.indexOf(key);
  return i < 0 ? RECORD_ORDER.length : i;
}

function recordValue(record: Record<string, unknown>, key: string): string {
  const value = record[key];
  if (value === undefined) return '';
  const errors = isObject(record.errors) ? (record.errors as Record<string, unknown>) : {};
  const err = num(errors[key]);
  if (typeof value === 'number') return key === 'hvV' ? formatVolts(value, err) : withErr(value, err);
  return formatValue(value);
}

function signOff(p: ProposalView): SignOff {
  const decided = p.state !== 'proposed';
  return {
    decided,
    state: p.state,
    by: decided ? clip(p.decidedBy ?? '', 100) : '',
    at: decided ? formatTime(p.decidedAt) : '',
    comment: clip(p.comment ?? '', 2000),
  };
}

function failedStep(p: PmtRunView): StepProgress | undefined {
  return p.steps.find((s) => s.state === 'failed' || s.state === 'aborted');
}

function withErr(value: number, err: number | undefined): string {
  return formatWithErr(value, err);
}

function formatValue(value: unknown): string {
  if (value === null) return 'none';
  if (typeof value === 'number') return formatSci(value, 3);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') return clip(value, 500);
  return clip(JSON.stringify(value), 500);
}

function num(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}

function isObject(x: unknown): boolean {
  return typeof x === 'object' && x !== null;
}

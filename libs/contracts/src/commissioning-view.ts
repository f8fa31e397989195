/**
 * Commissioning (SPEC 4): the views of a run the commissioning service answers with (RunView,
 * RunSummary, PmtRunView, StepProgress, ProposalView, ReportEntry). Types and constants only, no
 * zod: the shift console (browser) imports them as types through browser.ts.
 */
export const RUN_STATES = ['waiting', 'running', 'paused', 'finished', 'aborted'] as const;
export type RunState = (typeof RUN_STATES)[number];
export const STEP_STATES = [
  'pending',
  'running',
  'waiting',
  'passed',
  'failed',
  'skipped',
  'aborted',
] as const;
export type StepState = (typeof STEP_STATES)[number];
export const PROPOSAL_STATES = ['proposed', 'approved', 'rejected'] as const;
export type ProposalState = (typeof PROPOSAL_STATES)[number];

/** One criterion of a step: the value measured against its limit. */
export interface StepCheck {
  name: string;
  value: number | string | boolean | null;
  limit: string;
  unit?: string;
  pass: boolean;
}

/** One point of a scan (DCR or gain against HV), as measured. */
export interface ScanPoint {
  v: number;
  rateHz?: number;
  rateErrHz?: number;
  gain?: number;
  gainErr?: number;
  nSpe?: number;
  /** the fit's residual in ln(G), in units of the point's error */
  residual?: number;
  /** settle attempts at this voltage before the rate was stable */
  attempts?: number;
}

/** G = G0 (V/V0)^beta fitted by weighted least squares in log space. */
export interface GainFit {
  v0: number;
  g0: number;
  g0Err: number;
  beta: number;
  betaErr: number;
  /** correlation of ln(G0) and beta */
  corr: number;
  chi2: number;
  dof: number;
  targetGain: number;
  /** the voltage that gives the target gain, null if none within the channel's limits */
  vOp: number | null;
  vOpErr: number | null;
}

export interface StepProgress {
  id: string;
  kind: string;
  state: StepState;
  /** 0..1 */
  progress: number;
  /** one line for a person: why it passed or failed, naming the value and the limit */
  verdict?: string;
  checks?: StepCheck[];
  points?: ScanPoint[];
  fit?: GainFit;
  /** the value being measured now */
  live?: { what: string; value: number; unit: string; at: number };
  startedAt?: number;
  endedAt?: number;
}

/** A calibration record proposed by a run, and what an expert decided. */
export interface ProposalView {
  pmt: string;
  version: number;
  state: ProposalState;
  /** the record that becomes the calibration on approval (CalibrationRecord's fields) */
  record: Record<string, unknown>;
  /** the version in force when the run proposed it */
  previous?: Record<string, unknown>;
  decidedBy?: string;
  decidedAt?: number;
  comment?: string;
}

export interface PmtRunView {
  pmt: string;
  group: 'crystal' | 'veto';
  tubeType: string;
  state: 'pending' | 'running' | 'passed' | 'failed' | 'aborted';
  /** the step running now, or the one that failed */
  step?: string;
  steps: StepProgress[];
  proposal?: ProposalView;
}

export interface RunView {
  runId: string;
  procedure: string;
  title: string;
  target: string | string[];
  state: RunState;
  /** why the run waits (a confirmation, a busy DAQ), or how it ended */
  reason?: string;
  startedBy: string;
  origin?: string;
  startedAt: number;
  endedAt?: number;
  beam?: { on: boolean; power_kw: number; at: number } | null;
  /** manual items still to confirm, and those confirmed */
  pendingConfirmations: string[];
  confirmations: { item: string; by: string; at: number }[];
  pmts: PmtRunView[];
  counts: { pending: number; running: number; passed: number; failed: number; aborted: number };
}

/** The runs list: a RunView without its PMTs. */
export type RunSummary = Omit<RunView, 'pmts'>;

export interface ReportEntry {
  runId: string;
  format: 'html' | 'md';
  generatedAt: number;
  bytes: number;
}

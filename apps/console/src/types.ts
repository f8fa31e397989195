/**
 * The API's shapes as the console uses them (see the API contract in apps/api). The alarm view,
 * its states, severities and journal events are the contracts' (import type from '@cicenns/contracts').
 */

/** none: no value has arrived yet, and none was due yet */
export type Quality = 'good' | 'stale' | 'bad' | 'none';
export type Role = 'viewer' | 'shifter' | 'expert' | 'admin';

export interface ValueView {
  value: number | null;
  unit: string;
  ts: number | null;
  quality: Quality;
  error?: string;
}

export interface PmtView {
  id: string;
  group: 'crystal' | 'veto';
  parent: string;
  hv: { device: string; channel: number };
  /** null: no temperature sensor configured for its crystal or panel */
  sensor: string | null;
  limits: { vmax: number; imaxUa: number; rampMaxVps: number };
  vset: ValueView;
  vmon: ValueView;
  imon: ValueView;
  status: ValueView & { flags: string[] };
  temperature: ValueView | null;
  dcr: ValueView;
  gain: ValueView;
  /** false while the calibration in force is only the datasheet figure (SPEC 3.1) */
  commissioned?: boolean;
  /** the calibration in force */
  calibration: CalibrationView | null;
  /** the HV profile's extra registers (e.g. a board temperature) */
  extra?: Record<string, ValueView>;
}

/** A PMT's state for the group map (the API's PmtState): HV state raised by its worst live alarm. */
export type PmtState = 'on' | 'ramp' | 'off' | 'no-data' | 'warning' | 'trip' | 'alarm';

/** One group of /api/groups: its PMTs counted per state, and the worst. */
export interface GroupSummary {
  id: string;
  pmts: number;
  counts: Record<PmtState, number>;
  worst: PmtState;
}

export interface CalibrationView {
  version: string | number;
  method?: string;
  validFrom?: string;
  measuredAt?: string;
  by?: string;
  run?: string | null;
  approvedBy?: string | null;
  approvedAt?: string | null;
  hvV: number;
  gain: number;
  beta?: number;
  dcrHz: number;
}

export interface User {
  name: string;
  role: Role;
}

export interface Health {
  status: 'ok' | 'degraded' | 'down';
  services?: Record<string, { state?: string }>;
}

export interface Beam {
  on: boolean | null;
  power_kw: number | null;
  ts?: number | null;
  quality?: Quality;
}

export interface HvTarget {
  pmts?: string[];
  crystal?: string;
  panel?: string;
  group?: 'crystal' | 'veto' | 'all';
}

export interface HvSet {
  vset?: number;
  iset?: number;
  rampUp?: number;
  rampDown?: number;
  power?: 'on' | 'off';
}

export interface HvChange {
  pmt: string;
  from: Record<string, unknown> | number | string | null;
  to: Record<string, unknown> | number | string | null;
  allowed: boolean;
  refusal?: string;
}

export interface HvPreview {
  previewId: string;
  expiresAt: number | string;
  changes: HvChange[];
}

export interface HvApplyResult {
  operationId: string;
  results: { pmt: string; ok: boolean; readBack?: unknown; error?: string }[];
}

export interface HvProgress {
  operationId: string;
  pmt: string;
  target: number;
  vmon: number;
  done: boolean;
}

export interface TrendSeries {
  unit: string;
  points: [number, number | null][];
}

/**
 * Commissioning procedures (SPEC 4): the declarative file (files.procedures, default
 * config/commissioning.yaml) that names each procedure's steps, their parameters and pass/fail
 * criteria, with defaults per tube type. Every time, voltage and tolerance is here, never in code.
 *
 * A step is `{id, kind, title?, params, byType?}`: `params` hold for every tube type, `byType.<type>`
 * adds or overrides them for one. The merged parameters are checked per tube type against the
 * kind's schema below, and against the detector (no voltage above any channel's vmax), when the
 * file is loaded: a bad file stops the commissioning service's start-up with file, path and reason.
 */
import { z } from 'zod';
import { ConfigError, formatPath } from './config-error';
import type { Detector, PmtGroup } from './detector';
import { nameSchema } from './schemas';
import { loadYamlFile } from './yaml-file';

const positive = z.number().positive().finite();
const nonNegative = z.number().nonnegative().finite();
const seconds = nonNegative.max(86_400);
const voltages = z.array(positive).min(1).max(100);
const range = z.tuple([z.number().finite(), z.number().finite()]).refine(([a, b]) => a <= b, 'min above max');

/** Per step kind: the parameters after merging `params` and `byType.<type>`. */
export const stepParamSchemas = {
  /** crate reachable, channel off, no interlock, temperature in range, beam recorded, manual items */
  preconditions: z
    .object({
      /** the PMT's crystal/panel sensor must read within this range */
      temperatureC: range,
      /** a channel reading VMon above this, or power on, is not off */
      maxOffVmonV: nonNegative.default(5),
      /** the latest HV reading of the channel must be younger than this (the crate is reachable) */
      maxReadingAgeS: positive.default(10),
      /** manual items a named person confirms (cables checked, light-tight...) */
      manual: z.array(nameSchema).max(20).default([]),
    })
    .strict(),
  /** ramp to a low voltage; IMon must lie on the divider's line V / R_div */
  'low-voltage': z
    .object({
      voltage: positive,
      dividerMOhm: positive,
      /** |IMon - V/R_div| within this fraction of V/R_div */
      imonTolerancePct: positive.max(100),
      /** wait after reaching the voltage before reading IMon */
      settleS: seconds.default(1),
    })
    .strict(),
  /** DCR at each voltage, once the rate has settled */
  'dcr-scan': z
    .object({
      voltages,
      windowS: positive.max(86_400),
      /** settled: two successive windows agree within this many combined counting errors */
      settleSigma: positive.default(3),
      /** ... and within this relative difference (whichever is looser) */
      settleTolerancePct: positive.default(5),
      /** windows measured at one voltage before the step fails as "not settling" */
      maxWindows: z.number().int().min(2).max(100).default(6),
      /** wait after the voltage is reached before the first window */
      settleS: seconds.default(0),
      /** pass/fail: no settled rate above this at any voltage of the scan */
      maxRateHz: positive,
      /** pass/fail: no settled rate below this at any voltage (a dead tube, a broken cable) */
      minRateHz: nonNegative.default(0),
    })
    .strict(),
  /** SPE gain at each voltage; fit G = G0 (V/V0)^beta; the voltage of the target gain */
  'gain-curve': z
    .object({
      voltages: voltages.min(2),
      durationS: positive.max(86_400),
      /** V0 of the fit (the tube type's nominal voltage): G0 is the gain there */
      v0: positive,
      targetGain: positive,
      /** pass/fail of the fit */
      betaRange: range.default([4, 12]),
      maxChi2PerDof: positive.default(5),
      /** the operating voltage's 1-sigma error at most this */
      maxVopErrV: positive.default(20),
      /** a crystal's two tubes: predicted gains at their operating voltages agree within this */
      matchTolerancePct: positive.default(5),
      /** wait after the voltage is reached before measuring */
      settleS: seconds.default(0),
    })
    .strict(),
  /** hold at the operating point; DCR and gain stable */
  stability: z
    .object({
      holdS: positive.max(7 * 86_400),
      /** a DCR window and an SPE gain measurement this long, repeated until holdS has passed */
      dcrWindowS: positive.max(86_400),
      gainDurationS: positive.max(86_400),
      /** max |x - mean| / mean over the hold, beyond the measurement's own 3 sigma */
      maxGainChangePct: positive,
      maxDcrChangePct: positive,
      /** measurements at least (a hold shorter than this many rounds is extended) */
      minRounds: z.number().int().min(2).max(1000).default(3),
    })
    .strict(),
  /** the calibration record proposed from the measurements */
  result: z
    .object({
      /** not measured by a short run: the tube type's coefficients go into the record, with a note */
      dcrTempCoeffPerC: z.number().finite(),
      gainTempCoeffPerC: z.number().finite(),
      /** switch the channel off after the run (else it is left at its operating voltage) */
      switchOff: z.boolean().default(true),
    })
    .strict(),
} as const;
export type StepKind = keyof typeof stepParamSchemas;
export const STEP_KINDS = Object.keys(stepParamSchemas) as StepKind[];
export type StepParams<K extends StepKind> = z.infer<(typeof stepParamSchemas)[K]>;

const stepSchema = z
  .object({
    id: nameSchema,
    kind: z.enum(STEP_KINDS as [StepKind, ...StepKind[]]),
    title: z.string().min(1).max(200).optional(),
    params: z.record(z.string(), z.unknown()).default({}),
    byType: z.record(nameSchema, z.record(z.string(), z.unknown())).default({}),
  })
  .strict();

const procedureSchema = z
  .object({
    id: nameSchema,
    title: z.string().min(1).max(200),
    description: z.string().max(4000).optional(),
    /** PMTs commissioned at once (the DAQ measures all of one step's PMTs in one request) */
    maxParallel: z.number().int().min(1).max(100_000).default(100),
    daq: z
      .object({
        /** the DAQ must say accepted/busy/rejected within this */
        acceptTimeoutS: positive.default(10),
        /** the result must come within duration_s + this */
        resultMarginS: positive.default(30),
        /** a busy DAQ (taking physics data): wait and ask again, or fail the step */
        whenBusy: z.enum(['wait', 'stop']).default('wait'),
        busyRetryS: positive.default(10),
        busyMaxWaitS: positive.default(3600),
        /** a request that timed out is asked again this many times before the step fails */
        retries: z.number().int().min(0).max(10).default(1),
      })
      .strict()
      .prefault({}),
    hv: z
      .object({
        /** VMon within this of the setpoint, not ramping: the voltage is reached */
        reachedToleranceV: positive.default(3),
        /** a ramp may take (|dV| / ramp rate) * this + rampMarginS before the step fails */
        rampTimeFactor: positive.default(1.5),
        rampMarginS: positive.default(15),
        /** the poller must answer an HV write within this */
        writeTimeoutS: positive.default(10),
      })
      .strict()
      .prefault({}),
    steps: z.array(stepSchema).min(1).max(50),
  })
  .strict();

export const proceduresFileSchema = z
  .object({
    /** the tube type of each PMT group (SPEC 1) */
    tubeTypes: z.object({ crystal: nameSchema, veto: nameSchema }).strict(),
    procedures: z.array(procedureSchema).min(1).max(100),
  })
  .strict();
export type ProceduresFile = z.infer<typeof proceduresFileSchema>;

/** A step with its parameters resolved for every tube type of the detector. */
export interface ResolvedStep<K extends StepKind = StepKind> {
  id: string;
  kind: K;
  title: string;
  /** tube type -> parameters */
  byType: Record<string, StepParams<K>>;
}

export interface Procedure {
  id: string;
  title: string;
  description?: string;
  maxParallel: number;
  daq: z.infer<typeof procedureSchema>['daq'];
  hv: z.infer<typeof procedureSchema>['hv'];
  steps: ResolvedStep[];
  /** tube type of each group */
  tubeTypes: Record<PmtGroup, string>;
}

const DEFAULT_TITLES: Record<StepKind, string> = {
  preconditions: 'Preconditions',
  'low-voltage': 'Low-voltage check (divider current)',
  'dcr-scan': 'DCR against HV',
  'gain-curve': 'Gain curve and operating voltage',
  stability: 'Stability at the operating point',
  result: 'Proposed calibration',
};

/** Voltages a step applies (for the vmax check). */
function appliedVoltages(kind: StepKind, p: Record<string, unknown>): { path: string; v: number }[] {
  const out: { path: string; v: number }[] = [];
  if (kind === 'low-voltage') out.push({ path: 'voltage', v: p.voltage as number });
  if (kind === 'dcr-scan' || kind === 'gain-curve')
    (p.voltages as number[]).forEach((v, i) => out.push({ path: `voltages[${i}]`, v }));
  return out;
}

/**
 * Load the procedures file and resolve every step per tube type, checked against the detector:
 * unknown kind or field, a missing parameter for a type, a step id used twice, a voltage above a
 * channel's vmax, a procedure without a gain curve before its result: ConfigError.
 */
export function loadProcedures(file: string, detector: Detector): Procedure[] {
  const doc = loadYamlFile(file, proceduresFileSchema);
  return resolveProcedures(file, doc, detector);
}

export function resolveProcedures(file: string, doc: ProceduresFile, detector: Detector): Procedure[] {
  const types = doc.tubeTypes;
  const groups = (['crystal', 'veto'] as PmtGroup[]).filter((g) => detector.pmts.some((p) => p.group === g));
  const seenProc = new Set<string>();
  return doc.procedures.map((proc, pi) => {
    const at = (...rest: (string | number)[]) => formatPath(['procedures', pi, ...rest]);
    if (seenProc.has(proc.id)) throw new ConfigError(file, at('id'), `procedure "${proc.id}" defined twice`);
    seenProc.add(proc.id);
    const seenStep = new Set<string>();
    const steps = proc.steps.map((step, si): ResolvedStep => {
      if (seenStep.has(step.id))
        throw new ConfigError(file, at('steps', si, 'id'), `step "${step.id}" defined twice`);
      seenStep.add(step.id);
      for (const t of Object.keys(step.byType))
        if (t !== types.crystal && t !== types.veto)
          throw new ConfigError(
            file,
            at('steps', si, 'byType', t),
            `unknown tube type "${t}" (tubeTypes: ${types.crystal}, ${types.veto})`,
          );
      const byType: Record<string, unknown> = {};
      for (const g of groups) {
        const type = types[g];
        const merged = { ...step.params, ...(step.byType[type] ?? {}) };
        const r = stepParamSchemas[step.kind].safeParse(merged);
        if (!r.success) {
          const issue = r.error.issues[0];
          const key = issue.path[0];
          const where =
            key !== undefined && step.byType[type] && String(key) in step.byType[type]
              ? ['byType', type]
              : ['params'];
          throw new ConfigError(
            file,
            at('steps', si, ...where, ...(issue.path as (string | number)[])),
            `${issue.message} (step "${step.id}", kind ${step.kind}, tube type ${type})`,
          );
        }
        const params = r.data as Record<string, unknown>;
        // the lowest vmax of this group's channels: no step may ask for more
        const pmts = detector.pmts.filter((p) => p.group === g);
        const limit = Math.min(...pmts.map((p) => p.limits.vmax));
        const worst = pmts.find((p) => p.limits.vmax === limit)!;
        for (const { path, v } of appliedVoltages(step.kind, params))
          if (v > limit)
            throw new ConfigError(
              file,
              at(
                'steps',
                si,
                step.byType[type] ? 'byType' : 'params',
                ...(step.byType[type] ? [type] : []),
                path,
              ),
              `${v} V is above the vmax ${limit} V of ${worst.id} (detector.yaml hvLimits; step "${step.id}", tube type ${type})`,
            );
        byType[type] = params;
      }
      return {
        id: step.id,
        kind: step.kind,
        title: step.title ?? DEFAULT_TITLES[step.kind],
        byType: byType as ResolvedStep['byType'],
      };
    });
    const kinds = steps.map((s) => s.kind);
    const result = kinds.indexOf('result');
    if (result >= 0 && kinds.lastIndexOf('gain-curve') > result)
      throw new ConfigError(file, at('steps'), 'a result step must come after the gain-curve step');
    if (result >= 0 && !kinds.includes('gain-curve'))
      throw new ConfigError(file, at('steps'), 'a result step needs a gain-curve step before it');
    if (kinds.includes('stability') && kinds.indexOf('stability') < kinds.indexOf('gain-curve'))
      throw new ConfigError(
        file,
        at('steps'),
        'the stability step holds the operating voltage: it must come after the gain curve',
      );
    return {
      id: proc.id,
      title: proc.title,
      description: proc.description,
      maxParallel: proc.maxParallel,
      daq: proc.daq,
      hv: proc.hv,
      steps,
      tubeTypes: { crystal: types.crystal, veto: types.veto },
    };
  });
}

/**
 * The alarm rules' configuration (config/alarms.yaml): every threshold, delay, deadband and
 * guidance text lives in the file, none in code (SPEC: "(default)" values are configuration).
 * Overrides change a rule's parameters for the subjects whose id matches a glob.
 */
import type { Measurement } from '@cicenns/contracts';
import { ConfigError, loadYamlFile } from '@cicenns/model';
import { z } from 'zod';

/** Measurements whose absence is an alarm (all of them: SPEC 2). */
export const STALE_KINDS = [
  'hv',
  'temperature',
  'dcr',
  'gain',
  'coincidence',
  'beam',
] as const satisfies readonly Measurement[];
export type StaleKind = (typeof STALE_KINDS)[number];

const positive = z.number().positive();
const nonNegative = z.number().nonnegative();
const severity = z.enum(['warning', 'alarm']);
const fraction = z.number().gt(0).lt(1);

const guidanceSchema = z
  .object({
    /** what the alarm means physically */
    meaning: z.string().min(1),
    /** what the shift should do */
    action: z.string().min(1),
    /** whom to call, e.g. "on-call PMT expert" */
    contact: z.string().min(1),
  })
  .strict();

const common = {
  enabled: z.boolean(),
  /** the condition must hold this long before the runtime raises the alarm */
  delayMs: z.number().int().min(0),
  guidance: guidanceSchema,
};

export const cusumSchema = z
  .object({
    /** allowance in sigmas: half the shift the detector is tuned for */
    k: positive,
    /** decision interval in sigmas */
    h: positive,
    /** samples used to estimate baseline and sigma before the detector is armed */
    warmupSamples: z.number().int().min(2),
    /** lower bound of the estimated sigma (relative units, 0.01 = 1 %) */
    minSigma: positive,
    /** fixed sigma: no estimate from the warm-up */
    sigma: positive.optional(),
    /** standardized residuals are clipped to +-zClip: one outlier cannot raise the alarm alone */
    zClip: positive,
    /** a raised detector clears when its statistic falls below clearFraction * h */
    clearFraction: fraction,
    /** warmup: detect change from the warm-up median; calibration: detect offset from 0 */
    baseline: z.enum(['warmup', 'calibration']),
  })
  .strict();

/** Level rules: warn/alarm thresholds and the deadband a value must fall back by to clear. */
function levelsAbove<W extends string, A extends string, D extends string>(w: W, a: A, d: D) {
  return { [w]: positive, [a]: positive, [d]: nonNegative } as Record<W | A | D, typeof positive>;
}

const statusBitRule = z.object({ ...common, severity, statusBit: z.string().min(1) }).strict();

export const ruleSchemas = {
  'gain-drift': z.object({ ...common, ...levelsAbove('warnPct', 'alarmPct', 'deadbandPct') }).strict(),
  'gain-hv': z.object({ ...common, ...levelsAbove('warnPct', 'alarmPct', 'deadbandPct') }).strict(),
  'gain-creep': z.object({ ...common, severity, cusum: cusumSchema }).strict(),
  'dcr-high': z.object({ ...common, ...levelsAbove('warnFactor', 'alarmFactor', 'deadband') }).strict(),
  'dcr-low': z
    .object({ ...common, warnFactor: positive, deadHz: nonNegative, deadband: nonNegative })
    .strict(),
  'dcr-creep': z
    .object({ ...common, severity, aggregateMs: z.number().int().positive(), cusum: cusumSchema })
    .strict(),
  'hv-deviation': z.object({ ...common, ...levelsAbove('warnV', 'alarmV', 'deadbandV') }).strict(),
  'hv-over-current': statusBitRule,
  'hv-trip': statusBitRule,
  'hv-interlock': statusBitRule,
  'hv-temperature-error': statusBitRule,
  'hv-off': z.object({ ...common, severity, expectedOff: z.array(z.string().min(1)) }).strict(),
  'temperature-range': z.object({ ...common, deadbandC: nonNegative, alarmMarginC: positive }).strict(),
  'temperature-rate': z
    .object({
      ...common,
      ...levelsAbove('warnCPerHour', 'alarmCPerHour', 'deadbandCPerHour'),
      windowMs: z.number().int().positive(),
    })
    .strict(),
  'sensor-open': z.object({ ...common, severity }).strict(),
  'coincidence-excess': z
    .object({
      ...common,
      ...levelsAbove('warnFactor', 'alarmFactor', 'deadband'),
      averageSamples: z.number().int().positive(),
    })
    .strict(),
  stale: z
    .object({
      ...common,
      severity,
      /** no reading for this many expected periods = stale */
      staleAfterPeriods: positive,
      /** expected period per measurement; a missing one comes from cicenns.yaml quality.expectedPeriodMs */
      expectedPeriodMs: z.partialRecord(z.enum(STALE_KINDS), z.number().int().positive()),
    })
    .strict(),
  'device-down': z.object({ ...common, severity }).strict(),
  /** the whole DAQ silent: one alarm that stands for (and suppresses) its per-channel stale alarms */
  'daq-down': z
    .object({
      ...common,
      severity,
      silentAfterMs: positive,
      /**
       * while it holds, the DAQ-side stale checks (dcr, gain, coincidence) are not judged: this one
       * alarm stands for them, with no per-channel transition; false: each goes stale (suppressed)
       */
      holdStale: z.boolean().default(true),
    })
    .strict(),
  /** the broker's own count of dropped messages rose (reported by the intake from $SYS) */
  'broker-drops': z
    .object({
      ...common,
      severity,
      /** the alarm holds until the count has not risen for this long */
      clearAfterMs: positive,
    })
    .strict(),
  'historian-backlog': z
    .object({
      ...common,
      warnLines: positive,
      alarmLines: positive,
      warnAgeMs: positive,
      alarmAgeMs: positive,
      /** a raised level clears below clearFraction of its limit */
      clearFraction: fraction,
    })
    .strict(),
};
export type RuleName = keyof typeof ruleSchemas;
export const RULE_NAMES = Object.keys(ruleSchemas) as RuleName[];
export type RuleParams<R extends RuleName> = z.infer<(typeof ruleSchemas)[R]>;
export type AnyRuleParams = RuleParams<RuleName>;

const modelSchema = z
  .object({
    /** a PMT counts as powered when VMon >= hvOnFraction * calibrated HV */
    hvOnFraction: fraction,
    /** DCR(V) ~ (V / V_cal)^(beta * dcrBetaFraction) around the calibration setpoint */
    dcrBetaFraction: nonNegative,
    /** a temperature older than this is not used for the change detectors */
    temperatureMaxAgeMs: z.number().int().positive(),
  })
  .strict();

const overrideSchema = z
  .object({
    /** glob(s) on the subject id (PMT, sensor, crystal, device): 'PSV*', 'CsI0?-A', ['CsI01-A', 'T-hall'] */
    match: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    rule: z.enum(RULE_NAMES as [RuleName, ...RuleName[]]),
  })
  .catchall(z.unknown());

export const alarmConfigSchema = z
  .object({
    model: modelSchema,
    rules: z.object(ruleSchemas).strict(),
    overrides: z.array(overrideSchema).default([]),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    for (const name of RULE_NAMES) checkLevels(name, cfg.rules[name], ['rules', name], ctx);
    cfg.overrides.forEach((o, i) => {
      // An override is valid when the rule's parameters with the override applied are valid.
      const { rule, params } = paramsOf(o);
      const merged = ruleSchemas[rule].safeParse(mergeParams(cfg.rules[rule], params));
      if (!merged.success) {
        for (const issue of merged.error.issues) {
          ctx.addIssue({ code: 'custom', path: ['overrides', i, ...issue.path], message: issue.message });
        }
      } else checkLevels(rule, merged.data, ['overrides', i], ctx);
    });
  });
export type AlarmConfigFile = z.infer<typeof alarmConfigSchema>;
/** The parsed configuration and the file it came from (for errors found later, e.g. by the engine). */
export type AlarmConfig = AlarmConfigFile & { file: string };

/** Warning must come before alarm, and the deadband must not reach past zero. */
function checkLevels(rule: RuleName, p: AnyRuleParams, path: PropertyKey[], ctx: z.RefinementCtx): void {
  const pairs: [string, string, string?][] = [
    ['warnPct', 'alarmPct', 'deadbandPct'],
    ['warnFactor', 'alarmFactor', 'deadband'],
    ['warnV', 'alarmV', 'deadbandV'],
    ['warnCPerHour', 'alarmCPerHour', 'deadbandCPerHour'],
    ['warnLines', 'alarmLines'],
    ['warnAgeMs', 'alarmAgeMs'],
  ];
  const rec = p as unknown as Record<string, number>;
  for (const [w, a, d] of pairs) {
    if (rec[w] === undefined || rec[a] === undefined) continue;
    if (rec[a] < rec[w]) {
      ctx.addIssue({ code: 'custom', path: [...path, a], message: `${a} must be >= ${w} (${rec[w]})` });
    }
    if (d && rec[d] >= rec[w]) {
      ctx.addIssue({ code: 'custom', path: [...path, d], message: `${d} must be < ${w} (${rec[w]})` });
    }
  }
  if (rule === 'dcr-low') {
    const low = p as RuleParams<'dcr-low'>;
    if (low.warnFactor + low.deadband >= 1) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'deadband'],
        message: 'warnFactor + deadband must be < 1',
      });
    }
  }
}

/** An override's rule and the parameters it changes (everything but match and rule). */
function paramsOf(o: z.infer<typeof overrideSchema>): { rule: RuleName; params: Record<string, unknown> } {
  const params: Record<string, unknown> = { ...o };
  delete params.match;
  delete params.rule;
  return { rule: o.rule, params };
}

/** Plain objects merge key by key (cusum: { h: 14 } keeps the other cusum settings); the rest replaces. */
export function mergeParams<T>(base: T, patch: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(patch)) {
    const old = out[key];
    out[key] = isPlainObject(old) && isPlainObject(value) ? mergeParams(old, value) : value;
  }
  return out as T;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Read and validate config/alarms.yaml; any problem is a ConfigError with file, path and line. */
export function loadAlarmConfig(file: string): AlarmConfig {
  return { ...loadYamlFile(file, alarmConfigSchema), file };
}

/** 'PSV*' -> /^PSV.*$/ ; only * and ? are special. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export function matchesAny(globs: string | string[], id: string): boolean {
  return (Array.isArray(globs) ? globs : [globs]).some((g) => globToRegExp(g).test(id));
}

/**
 * The effective parameters of a rule for one subject (PMT, sensor, crystal, device...): the
 * rule's settings with every matching override applied in file order.
 */
export function resolveRuleParams<R extends RuleName>(
  cfg: AlarmConfigFile,
  rule: R,
  subjectId: string,
): RuleParams<R> {
  let params = cfg.rules[rule] as RuleParams<R>;
  for (const o of cfg.overrides) {
    if (o.rule !== rule || !matchesAny(o.match, subjectId)) continue;
    params = mergeParams(params, paramsOf(o).params);
  }
  return params;
}

/** The guidance as one text for the shift: meaning, action, contact. */
export function formatGuidance(g: z.infer<typeof guidanceSchema>): string {
  return `${g.meaning.trim()} What to do: ${g.action.trim()} Whom to call: ${g.contact.trim()}.`;
}

/** A problem the schema cannot see (e.g. an override matching no subject). */
export function alarmConfigError(cfg: AlarmConfig, path: string, reason: string): ConfigError {
  return new ConfigError(cfg.file, path, reason);
}

import { ConfigError } from '@cicenns/model';
import { z } from 'zod';

export const DCR_FORMS = ['per-pmt', 'sweep', 'both'] as const;

/** Simulator-only settings (not part of the system configuration), from SIM_* variables. */
export interface SimSettings {
  httpHost: string;
  /** 0: pick a free port */
  httpPort: number;
  tickMs: number;
  dcrPeriodMs: number;
  gainPeriodMs: number;
  coincPeriodMs: number;
  beamPeriodMs: number;
  /** both: alternate the per-PMT and the sweep form from one period to the next */
  dcrForm: (typeof DCR_FORMS)[number];
  coincWindowNs: number;
  /** scales every noise amplitude; 0 makes measurements equal the expected values */
  noise: number;
  seed: number;
  /** scales every tube-to-tube spread of SPEC 3.1; 0 = every tube is its datasheet */
  tubeSpread: number;
  /** off: every channel starts powered off at 0 V (a detector before commissioning) */
  hvStart: 'on' | 'off';
  /** after a voltage change the DCR is rate * (1 + A exp(-t / tau)) */
  dcrSettleAmplitude: number;
  dcrSettleTauS: number;
  /** the DAQ answers measurement requests `busy` while the beam is on */
  daqBusyWhenBeam: boolean;
}

/** A bad SIM_* value: start-up stops with the variable's name and the reason (a configuration error). */
export class SimSettingsError extends ConfigError {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super('environment', variable, reason);
    this.name = 'SimSettingsError';
  }
}

const intIn = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const VARS = {
  SIM_HTTP_HOST: { key: 'httpHost', schema: z.string().min(1), def: '127.0.0.1' },
  SIM_HTTP_PORT: { key: 'httpPort', schema: intIn(0, 65535), def: 8090 },
  SIM_TICK_MS: { key: 'tickMs', schema: intIn(10, 60_000), def: 100 },
  SIM_DCR_PERIOD_MS: { key: 'dcrPeriodMs', schema: intIn(50, 86_400_000), def: 10_000 },
  SIM_GAIN_PERIOD_MS: { key: 'gainPeriodMs', schema: intIn(50, 86_400_000), def: 600_000 },
  SIM_COINC_PERIOD_MS: { key: 'coincPeriodMs', schema: intIn(50, 86_400_000), def: 10_000 },
  SIM_BEAM_PERIOD_MS: { key: 'beamPeriodMs', schema: intIn(50, 86_400_000), def: 1000 },
  SIM_DCR_FORM: { key: 'dcrForm', schema: z.enum(DCR_FORMS), def: 'both' },
  SIM_COINC_WINDOW_NS: { key: 'coincWindowNs', schema: z.coerce.number().positive().max(1e6), def: 100 },
  SIM_NOISE: { key: 'noise', schema: z.coerce.number().min(0).max(100), def: 1 },
  SIM_SEED: { key: 'seed', schema: intIn(0, 0xffffffff), def: undefined },
  SIM_TUBE_SPREAD: { key: 'tubeSpread', schema: z.coerce.number().min(0).max(10), def: 1 },
  SIM_HV_START: { key: 'hvStart', schema: z.enum(['on', 'off']), def: 'on' },
  SIM_DCR_SETTLE_AMPLITUDE: {
    key: 'dcrSettleAmplitude',
    schema: z.coerce.number().min(0).max(100),
    def: 0.5,
  },
  SIM_DCR_SETTLE_TAU_S: { key: 'dcrSettleTauS', schema: z.coerce.number().positive().max(86_400), def: 20 },
  SIM_DAQ_BUSY_WHEN_BEAM: {
    key: 'daqBusyWhenBeam',
    schema: z.enum(['true', 'false']).transform((v) => v === 'true'),
    def: false,
  },
} as const;

/** Read and validate the SIM_* variables; unset or empty means the default. */
export function loadSimSettings(env: NodeJS.ProcessEnv = process.env): SimSettings {
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(VARS)) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') {
      out[v.key] = v.def;
      continue;
    }
    const r = (v.schema as z.ZodType).safeParse(raw.trim());
    if (!r.success) throw new SimSettingsError(name, `${r.error.issues[0].message} (got "${raw}")`);
    out[v.key] = r.data;
  }
  if (out.seed === undefined) out.seed = (Date.now() ^ (process.pid << 16)) >>> 0;
  return out as unknown as SimSettings;
}

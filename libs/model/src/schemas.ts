import { z } from 'zod';
import { legacyRetentionPolicySchema, resolveTiers, tiersSchema } from './retention';
import { scaleOutSchema } from './scale-out';

/**
 * Names of detector parts (PMTs, crystals, veto panels, sensors), devices and links. Their shape
 * is configuration (SPEC 1's CsI01-A / PSV01-B are only the defaults); what the schema checks is
 * that a name is safe wherever it travels: an MQTT topic level (no / + # NUL), an InfluxDB tag
 * value (no whitespace, comma, equals or quotes, which line protocol would need to escape), an
 * alarm id `<rule>:<name>` and an alarm config glob (no * ?), a URL path segment; and bounded.
 */
export const NAME_MAX = 40;
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
export const nameSchema = z
  .string()
  .min(1)
  .max(NAME_MAX, `at most ${NAME_MAX} characters`)
  .regex(
    NAME_PATTERN,
    'letters, digits, "_", "." and "-" only, starting with a letter or digit (names are MQTT topic levels and InfluxDB tag values)',
  );

const positiveInt = z.number().int().positive();
const port = z.number().int().min(1).max(65535);

/** A positive finite number (config bounds). */
const positive = z.number().positive().finite();

/**
 * Physical bounds of the DAQ's values (docs/DATA.md, "DAQ messages"): what no detector can
 * produce is refused (out_of_range) before it is stored or raises alarms. Defaults are ours.
 */
export const daqBoundsSchema = z
  .object({
    dcr: z
      .object({
        /** the largest dark count rate a tube can report, Hz */
        maxRateHz: positive.default(1e7),
        /** longest counting window, s (1 day) */
        maxWindowS: positive.default(86_400),
      })
      .strict()
      .prefault({}),
    gain: z
      .object({
        /** absolute bounds for every tube, calibrated or not */
        min: positive.default(1e3),
        max: positive.default(1e10),
        /** with a calibration: within calibrated / factor .. calibrated * factor (2 decades) */
        maxFactorFromCalibration: z.number().min(1).finite().default(100),
      })
      .strict()
      .prefault({}),
    coincidence: z
      .object({
        maxRateHz: positive.default(1e7),
        /** longest coincidence window, ns (1 s) */
        maxWindowNs: positive.default(1e9),
      })
      .strict()
      .prefault({}),
    beam: z
      .object({
        /** the accelerator's range: 0 .. maxPowerKw */
        maxPowerKw: positive.default(1000),
        maxRepRateHz: positive.default(100),
        /** beam off reporting more power than this is accepted with an "inconsistent" warning */
        maxPowerWhenOffKw: z.number().nonnegative().finite().default(1),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .refine((b) => b.gain.min < b.gain.max, { message: 'gain.min must be below gain.max', path: ['gain'] });
export type DaqBounds = z.infer<typeof daqBoundsSchema>;

// ---------- device profiles (SPEC 2.1, 2.2) ----------

export const WORD_ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;
export const VALUE_TYPES = ['uint16', 'int16', 'uint32', 'int32', 'float32'] as const;

export const registerSpecSchema = z
  .object({
    offset: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .describe('Register address of this value for channel 0, relative to `addressing.base` (0-65535).'),
    type: z
      .enum(VALUE_TYPES)
      .describe(
        'How the raw registers are read: `uint16`/`int16` take one register, `uint32`/`int32`/`float32` two.',
      ),
    table: z
      .enum(['holding', 'input'])
      .default('holding')
      .describe('Modbus table: `holding` (read with FC3, writable with FC16) or `input` (FC4, read only).'),
    access: z
      .enum(['r', 'rw'])
      .default('r')
      .describe('`rw` if the HV control may write it (needs `table: holding`); `r` read only.'),
    unit: z.string().optional().describe('Engineering unit shown with the value (V, uA, degC, ...).'),
    scale: z.number().default(1).describe('Engineering value = raw * scale + add.'),
    add: z.number().default(0).describe('Offset added after scaling: engineering value = raw * scale + add.'),
    wordOrder: z
      .enum(WORD_ORDERS)
      .optional()
      .describe("Word order of this register's 32-bit value when it differs from the profile's `wordOrder`."),
    invalidRaw: z
      .array(z.number().int())
      .default([])
      .describe(
        'Raw values that mean "no valid reading" (e.g. -32768 = 0x8000, sensor open): the reading is published as bad with the reason.',
      ),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.access === 'rw' && r.table === 'input')
      ctx.addIssue({
        code: 'custom',
        path: ['access'],
        message: 'an input register cannot be written: use table: holding',
      });
  });
export type RegisterSpec = z.infer<typeof registerSpecSchema>;

export const profileSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .describe('Profile name, referenced by `devices[].profile` in cicenns.yaml; unique.'),
    kind: z
      .enum(['hv', 'temperature'])
      .describe(
        '`hv`: an HV supply whose channels feed PMTs; `temperature`: a transmitter whose channels are sensors.',
      ),
    description: z.string().optional().describe('Free text for people.'),
    wordOrder: z
      .enum(WORD_ORDERS)
      .default('ABCD')
      .describe(
        'Order of the bytes of 32-bit values: `ABCD` big-endian high word first, `CDAB` low word first, `BADC` bytes swapped in each word, `DCBA` both.',
      ),
    addressing: z
      .object({
        base: z.number().int().min(0).default(0).describe('Register address of channel 0.'),
        stride: z
          .number()
          .int()
          .min(0)
          .optional()
          .describe(
            'Registers between two channels: channel n is at `base + n * stride + offset`. Required unless `unitIdPerChannel`.',
          ),
        unitIdPerChannel: z
          .boolean()
          .default(false)
          .describe(
            'Every channel is its own Modbus unit: channel n answers as `device.unitId + n`, at `base + offset` (no stride).',
          ),
      })
      .strict()
      .describe("Where a channel's registers are."),
    maxChannels: positiveInt.describe(
      'Channels the device can have; `devices[].channels` may not exceed it.',
    ),
    registers: z
      .record(
        z
          .string()
          .regex(
            /^[A-Za-z][A-Za-z0-9_]{0,31}$/,
            'register names: letters, digits and _, starting with a letter',
          ),
        registerSpecSchema,
      )
      .describe(
        'Register name -> register. Names the system acts on: `vset`, `iset`, `vmon`, `imon`, `status`, `power`, `ramp_up`, `ramp_down` (hv), `value` (temperature); any other polled register is an extra value, stored and shown.',
      ),
    statusBits: z
      .record(z.string().regex(/^(?:[0-9]|1[0-5])$/, 'a bit number 0-15'), z.string().min(1))
      .default({})
      .describe(
        'Bit number (0-15) -> flag name, for the uint16 `status` register. The alarm rules read `on`, `ramping_up`, `ramping_down`, `over_current`, `tripped`, `interlock`, `temperature_error`.',
      ),
    poll: z
      .array(z.string())
      .min(1)
      .describe('Registers read on every poll; each must be defined in `registers`.'),
    maxGapRegisters: z
      .number()
      .int()
      .min(0)
      .default(16)
      .describe('Largest gap (in registers) bridged to read two values in one transaction.'),
    maxReadRegisters: z
      .number()
      .int()
      .min(1)
      .max(125)
      .default(125)
      .describe('Largest read the device accepts, in registers (Modbus allows 125).'),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.addressing.stride === undefined && !p.addressing.unitIdPerChannel) {
      ctx.addIssue({
        code: 'custom',
        path: ['addressing', 'stride'],
        message: 'required: registers between two channels (or set unitIdPerChannel: true)',
      });
    }
    for (const [i, name] of p.poll.entries()) {
      if (!p.registers[name]) {
        ctx.addIssue({
          code: 'custom',
          path: ['poll', i],
          message: `register "${name}" is not defined in registers`,
        });
      }
    }
    for (const [name, r] of Object.entries(p.registers)) {
      const end = (p.addressing.base ?? 0) + r.offset + (r.type === 'uint16' || r.type === 'int16' ? 1 : 2);
      if (end > 65536)
        ctx.addIssue({
          code: 'custom',
          path: ['registers', name, 'offset'],
          message: `base ${p.addressing.base} + offset ${r.offset} is beyond register 65535`,
        });
    }
  });
export type DeviceProfile = z.infer<typeof profileSchema>;

// ---------- links and devices ----------

const backoffSchema = z
  .object({ initialMs: positiveInt.default(200), maxMs: positiveInt.default(10_000) })
  .strict()
  .default({ initialMs: 200, maxMs: 10_000 });

const linkCommon = {
  id: nameSchema,
  timeoutMs: positiveInt.default(1000),
  retries: z.number().int().min(0).default(1),
  backoff: backoffSchema,
};

export const linkSchema = z.discriminatedUnion('type', [
  z.object({ ...linkCommon, type: z.literal('tcp'), host: z.string().min(1), port }).strict(),
  z.object({ ...linkCommon, type: z.literal('rtu-over-tcp'), host: z.string().min(1), port }).strict(),
  z
    .object({
      ...linkCommon,
      type: z.literal('rtu'),
      path: z.string().min(1),
      baudRate: positiveInt.default(9600),
      dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
      parity: z.enum(['none', 'even', 'odd']).default('none'),
      stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
    })
    .strict(),
]);
export type LinkConfig = z.infer<typeof linkSchema>;

export const deviceSchema = z
  .object({
    id: nameSchema,
    link: z.string().min(1),
    profile: z.string().min(1),
    unitId: z.number().int().min(0).max(255),
    channels: positiveInt,
    pollMs: positiveInt.default(1000),
  })
  .strict();
export type DeviceConfig = z.infer<typeof deviceSchema>;

// ---------- the application configuration ----------

export const appConfigSchema = z
  .object({
    site: z.string().default('CICENNS'),
    mqtt: z
      .object({
        url: z.string().min(1).default('mqtt://127.0.0.1:1883'),
        clientIdPrefix: z.string().min(1).default('cicenns'),
        username: z.string().optional(),
        password: z.string().optional(),
      })
      .strict()
      .default({ url: 'mqtt://127.0.0.1:1883', clientIdPrefix: 'cicenns' }),
    /** several intakes and historians on shared subscriptions (scale-out.ts, docs/DEPLOY-SCALE.md) */
    scaleOut: scaleOutSchema,
    influx: z
      .object({
        /** empty: no historian (the demo's default) */
        url: z.string().default(''),
        database: z.string().min(1).default('cicenns'),
        /** raw readings and their aggregates (retention.ts, docs/DATA.md "Retention tiers") */
        tiers: tiersSchema.optional(),
        /** the older setting, before tiers: read as tiers.raw */
        retentionPolicy: legacyRetentionPolicySchema.optional(),
        username: z.string().optional(),
        password: z.string().optional(),
        batchSize: positiveInt.default(5000),
        flushIntervalMs: positiveInt.default(100),
        /** writes to InfluxDB in flight at once (the spool stays exact: apps/historian/src/flusher.ts) */
        writeConcurrency: z.number().int().min(1).max(16).default(2),
        /**
         * HV set values (the profiles' rw registers) stored on change and at least this often per
         * channel (docs/DATA.md); 0: every field of every reading
         */
        setValuesKeyframeMs: z.number().int().min(0).max(3_600_000).default(600_000),
        spoolPath: z.string().min(1).default('var/historian-spool.db'),
        /** the services' health as points of measurement `service`: at most one per service this often */
        servicePointsMs: z.number().int().min(1000).max(3_600_000).default(10_000),
      })
      .strict()
      .transform(({ tiers, retentionPolicy, ...rest }, ctx) => ({
        ...rest,
        tiers: resolveTiers(tiers, retentionPolicy, ctx),
      }))
      .prefault({}),
    api: z
      // port 0: any free port (tests)
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        /**
         * Proxies whose X-Forwarded-For/-Proto are believed (Express "trust proxy": addresses or
         * CIDRs, e.g. [127.0.0.1]); empty: none, the peer address is the client.
         */
        trustProxy: z.array(z.string().min(1)).default([]),
        /** Origins besides the API's own allowed to make state-changing calls with the session cookie */
        allowedOrigins: z
          .array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'an origin: scheme://host[:port], no path'))
          .default([]),
        /** the largest request body accepted (bytes, after decompression) */
        maxBodyBytes: positiveInt.default(256 * 1024),
        /** concurrent Server-Sent Event streams in total and per user */
        maxEventStreams: positiveInt.default(64),
        maxEventStreamsPerUser: positiveInt.default(8),
        /**
         * Trends without InfluxDB (influx.url empty): the API keeps the last windowMinutes of
         * each series in memory, one mean per bucketSeconds, at most maxSeries series.
         */
        recentHistory: z
          .object({
            windowMinutes: positiveInt.default(60),
            bucketSeconds: positiveInt.default(5),
            maxSeries: positiveInt.default(2000),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    intake: z
      .object({
        maxPayloadBytes: positiveInt.default(64 * 1024),
        maxFutureSkewMs: positiveInt.default(5 * 60_000),
        maxAgeMs: positiveInt.default(7 * 24 * 3600_000),
        batchMaxReadings: positiveInt.default(1000),
        batchMaxDelayMs: positiveInt.default(50),
        /** messages acknowledged together once forwarded; at most half the broker's max_inflight_messages */
        ackWindow: positiveInt.default(500),
        /** forward early when no DAQ message came for this long */
        ackIdleMs: positiveInt.default(2),
        /** a longer topic is refused (unknown_topic) without being parsed or kept */
        maxTopicBytes: positiveInt.default(256),
        /** nesting of objects and arrays in a payload: a sweep is 2 deep (payload, rates_hz) */
        maxDepth: positiveInt.default(3),
        bounds: daqBoundsSchema.prefault({}),
        /**
         * subscribe to the DAQ topics only once the historian's persistent session exists (its
         * retained health names it): before that, what the intake acknowledges nobody stores
         */
        requireHistorian: z.boolean().default(true),
        /** SQLite file of the messages the intake could not handle (relative to the config file) */
        deadLetterPath: z.string().min(1).default('var/intake-dead-letters.db'),
        /** the dead-letter table keeps the newest this many rows */
        deadLetterMaxRows: positiveInt.default(10_000),
        /** and of each payload at most this many bytes */
        deadLetterPayloadBytes: positiveInt.default(4096),
        /**
         * the broker's max_packet_size (deploy/mosquitto: 1048576): a larger message is dropped by
         * the broker, unseen and uncounted here; shown in the intake's health for the operator
         */
        brokerMaxPacketBytes: positiveInt.default(1_048_576),
      })
      .strict()
      .prefault({}),
    poller: z
      .object({
        /** publish readings only once the historian's persistent session exists (as the intake) */
        requireHistorian: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    quality: z
      .object({
        /** a reading older than this many of its expected periods is shown as stale */
        staleAfterPeriods: z.number().positive().default(3),
        expectedPeriodMs: z
          .object({
            hv: positiveInt.default(1000),
            temperature: positiveInt.default(2000),
            dcr: positiveInt.default(10_000),
            gain: positiveInt.default(600_000),
            coincidence: positiveInt.default(10_000),
            beam: positiveInt.default(1000),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    alarms: z
      .object({
        /** SQLite file with the current state of every alarm and the journal */
        storePath: z.string().min(1).default('var/alarms.db'),
        /** Prometheus Alertmanager base URL (API v2); empty: no notifications */
        alertmanagerUrl: z.string().default(''),
        /** base of the console links sent with each notification */
        consoleUrl: z.string().default('http://127.0.0.1:8080'),
        /** Alertmanager forgets alerts that are not re-sent: resend active ones this often */
        resendIntervalMs: positiveInt.default(60_000),
        evaluationIntervalMs: positiveInt.default(1000),
      })
      .strict()
      .prefault({}),
    commissioning: z
      .object({
        /** SQLite file of runs, measurements, proposed and approved calibrations, reports */
        storePath: z.string().min(1).default('var/commissioning.db'),
      })
      .strict()
      .prefault({}),
    auth: z
      .object({
        /** SQLite file of the audit log (who did what, when, from where, with what outcome) */
        auditPath: z.string().min(1).default('var/audit.db'),
        /** lifetime of a login session (cookie and bearer token) */
        sessionTtlMinutes: positiveInt.default(12 * 60),
        /** an HV preview must be applied within this time, or previewed again */
        hvPreviewTtlSeconds: positiveInt.default(120),
        /**
         * Failed logins: a growing back-off per account (never a lock-out of hours) and per client
         * address across accounts (password spraying); see README "Login throttling".
         */
        loginThrottle: z
          .object({
            /** failures of one account (from anywhere) before its back-off starts */
            freeFailuresPerAccount: positiveInt.default(3),
            /** failures from one address (any accounts) before its back-off starts */
            freeFailuresPerSource: positiveInt.default(10),
            /** the first wait; it doubles with each further failure */
            firstDelaySeconds: positiveInt.default(1),
            maxDelaySeconds: positiveInt.default(60),
            /** failures older than this are forgotten */
            forgetAfterMinutes: positiveInt.default(15),
            /** accounts and addresses tracked at most (each); the least recently failed go first */
            maxTrackedKeys: positiveInt.default(10_000),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    files: z
      .object({
        /** accounts and API tokens (hashed); see config/users.example.yaml */
        users: z.string().default('users.yaml'),
        detector: z.string().default('detector.yaml'),
        calibration: z.string().default('calibration.yaml'),
        profilesDir: z.string().default('profiles'),
        alarms: z.string().default('alarms.yaml'),
        /** commissioning procedures (libs/model/src/procedures.ts) */
        procedures: z.string().default('commissioning.yaml'),
      })
      .strict()
      .prefault({}),
    links: z.array(linkSchema),
    devices: z.array(deviceSchema),
  })
  .strict();
export type AppConfigFile = z.infer<typeof appConfigSchema>;

// ---------- the detector inventory (SPEC 1) ----------

const hvRefSchema = z.object({ device: z.string().min(1), channel: z.number().int().min(0) }).strict();
const hvLimitsSchema = z
  .object({
    vmax: z.number().positive(),
    imaxUa: z.number().positive(),
    rampMaxVps: z.number().positive(),
  })
  .strict();

export const pmtSchema = z
  .object({
    id: nameSchema,
    hv: hvRefSchema,
    limits: hvLimitsSchema.partial().optional(),
  })
  .strict();

export const detectorSchema = z
  .object({
    hvLimits: z.object({ crystal: hvLimitsSchema, veto: hvLimitsSchema }).strict(),
    crystals: z.array(
      z
        .object({
          id: nameSchema,
          /** temperature sensor of the crystal housing; without one, temperature corrections use the reference temperature */
          sensor: nameSchema.optional(),
          pmts: z.array(pmtSchema).length(2),
        })
        .strict(),
    ),
    panels: z.array(
      z
        .object({
          id: nameSchema,
          sensor: nameSchema.optional(),
          pmts: z.array(pmtSchema).length(2),
        })
        .strict(),
    ),
    sensors: z.array(
      z
        .object({
          id: nameSchema,
          device: z.string().min(1),
          channel: z.number().int().min(0),
          location: z.string().default(''),
          rangeC: z.tuple([z.number(), z.number()]).default([0, 40]),
        })
        .strict(),
    ),
  })
  .strict();
export type DetectorFile = z.infer<typeof detectorSchema>;
export type HvLimits = z.infer<typeof hvLimitsSchema>;

// ---------- calibration (SPEC 3) ----------

export const calibrationRecordSchema = z
  .object({
    pmt: nameSchema,
    version: positiveInt,
    validFrom: z.iso.datetime({ offset: true }),
    hvV: z.number().positive(),
    gain: z.number().positive(),
    beta: z.number().min(1).max(20),
    dcrHz: z.number().nonnegative(),
    dcrRefTempC: z.number(),
    /** relative DCR change per degree: DCR(T) = dcrHz * exp(coeff * (T - ref)) */
    dcrTempCoeffPerC: z.number(),
    /** relative gain change per degree (linear, small) */
    gainTempCoeffPerC: z.number().default(0),
    measuredAt: z.iso.datetime({ offset: true }),
    /** `datasheet`: not a calibration of this tube (SPEC 3.1: shown as not commissioned); `commissioning`: fitted */
    method: z.string().min(1),
    by: z.string().min(1),
    note: z.string().optional(),
    /** the commissioning run that measured it */
    run: z.string().optional(),
    /** one standard deviation of the fitted values */
    errors: z
      .object({
        hvV: z.number().nonnegative(),
        gain: z.number().nonnegative(),
        beta: z.number().nonnegative(),
        dcrHz: z.number().nonnegative(),
      })
      .partial()
      .strict()
      .optional(),
    /** the expert who approved it, and when (a proposal is in force only once approved) */
    approvedBy: z.string().optional(),
    approvedAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
/** A record of the tube itself (not its datasheet figure): the tube is commissioned. */
export function isCommissioned(record: { method: string } | undefined): boolean {
  return record !== undefined && record.method !== 'datasheet';
}
export type CalibrationRecord = z.infer<typeof calibrationRecordSchema>;

export const calibrationFileSchema = z.object({ records: z.array(calibrationRecordSchema) }).strict();

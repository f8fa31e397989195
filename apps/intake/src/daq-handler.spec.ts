import fc from 'fast-check';
import { loadSystemConfig } from '@cicenns/model';
import { rejectionNoticeSchema, type Reading, type RejectionNotice } from '@cicenns/contracts';
import { DaqHandler, type MessageValidator } from './daq-handler';
import { DaqConnection, type DaqSink } from './daq-connection';
import { DaqValidator } from './daq-validator';
import { DeadLetterStore } from './dead-letters';
import { IntakeStats } from './intake-stats';

const cfg = loadSystemConfig(undefined, {});
const limits = {
  ...cfg.app.intake,
  maxPayloadBytes: 65536,
  maxFutureSkewMs: 300_000,
  maxAgeMs: 7 * 86400_000,
};
const good = (rate: number) => JSON.stringify({ ts: Date.now(), rate_hz: rate });
const DCR = 'cicenns/daq/pmt/CsI01-A/dcr';
const POISON = '\u0000poison:';

function setup(validator: MessageValidator, add: (r: Reading[]) => void = () => undefined) {
  const stats = new IntakeStats();
  const deadLetters = new DeadLetterStore(':memory:', { maxRows: 100, payloadBytes: 64 });
  const notices: RejectionNotice[] = [];
  const warnings: string[] = [];
  const stored: Reading[] = [];
  const handler = new DaqHandler({
    validator,
    readings: {
      add: (r) => {
        add(r);
        stored.push(...r);
      },
    },
    stats,
    deadLetters,
    notify: (n) => notices.push(n),
    warn: (l) => warnings.push(l),
  });
  return { handler, stats, deadLetters, notices, warnings, stored };
}

/** The real validator, with a bug injected for chosen payloads (the class, not one instance). */
function buggy(when: (payload: string) => boolean): MessageValidator {
  const real = new DaqValidator(cfg.detector, limits);
  return {
    validate: (topic, payload, now) => {
      if (when(payload.toString())) throw new RangeError('Invalid time value');
      return real.validate(topic, payload, now);
    },
  };
}

describe('DaqHandler: a message that cannot be handled', () => {
  it('is counted as internal_error, logged, kept as a dead letter and announced; the next good message is stored', () => {
    const s = setup(buggy((p) => p.includes('1e308')));
    const poison = '{"ts":1e308,"rate_hz":5}';
    expect(() => s.handler.handle(DCR, poison)).not.toThrow();
    s.handler.handle(DCR, good(2900));
    expect(s.stats.rejects).toEqual({ internal_error: 1 });
    expect(s.stats.received).toBe(2);
    expect(s.stored.map((r) => r.fields.rate_hz)).toEqual([2900]);
    const [dl] = s.deadLetters.latest(5);
    expect(dl).toMatchObject({ topic: DCR, reason: 'internal_error', payloadBytes: poison.length });
    expect(dl.payload.toString()).toBe(poison);
    expect(dl.detail).toMatch(/RangeError: Invalid time value/);
    expect(s.notices).toEqual([
      expect.objectContaining({ topic: DCR, reason: 'internal_error', deadLetterId: dl.id }),
    ]);
    expect(s.warnings.join('\n')).toMatch(
      /could not handle a message on .*dcr, acknowledged and kept as dead letter 1/,
    );
  });

  it('also when forwarding the readings throws', () => {
    const s = setup(new DaqValidator(cfg.detector, limits), () => {
      throw new Error('publisher broke');
    });
    expect(() => s.handler.handle(DCR, good(1))).not.toThrow();
    expect(s.stats.rejects).toEqual({ internal_error: 1 });
    expect(s.deadLetters.latest(1)[0].detail).toMatch(/publisher broke/);
  });

  it('logs a flood of failures once per second, not once per message', () => {
    const s = setup(buggy(() => true));
    for (let i = 0; i < 1000; i++) s.handler.handle(DCR, good(i));
    expect(s.stats.rejects.internal_error).toBe(1000);
    expect(s.warnings).toHaveLength(1);
  });

  it('survives a dead-letter store that fails, and anything thrown (not only Errors)', () => {
    const s = setup({
      validate: () => {
        throw {
          toString: () => {
            throw new Error('nasty');
          },
        };
      },
    });
    (s.deadLetters as unknown as { add: () => never }).add = () => {
      throw new Error('disk full');
    };
    expect(() => s.handler.handle(DCR, 'x')).not.toThrow();
    expect(s.stats.rejects).toEqual({ internal_error: 1 });
  });
});

describe('DaqHandler: property, generated topics and payloads through the real validator with bugs injected', () => {
  it('no exception escapes; every message counts once as received; a good message among them is stored; notices stay bounded', () => {
    const topic = fc.oneof(
      fc.constantFrom(DCR, 'cicenns/daq/dcr', 'cicenns/daq/pmt/PSV01-B/gain', 'cicenns/beam/status'),
      fc.string({ maxLength: 300 }),
    );
    const payload = fc.oneof(
      fc.json(),
      fc.string({ maxLength: 500 }),
      fc
        .record({ ts: fc.oneof(fc.double(), fc.string()), rate_hz: fc.double() })
        .map((o) => JSON.stringify(o)),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(topic, payload, fc.boolean()), { maxLength: 20 }), (messages) => {
        const s = setup(buggy((p) => p.startsWith(POISON)));
        for (const [t, p, poison] of messages) s.handler.handle(t, poison ? `${POISON}${p}` : p);
        s.handler.handle(DCR, good(12345));
        expect(s.stats.received).toBe(messages.length + 1);
        expect(s.stored.at(-1)?.fields.rate_hz).toBe(12345);
        // at least the injected ones: the real validator may have its own (1e308 before its fix)
        expect(s.stats.rejects.internal_error ?? 0).toBeGreaterThanOrEqual(
          messages.filter((m) => m[2]).length,
        );
        for (const n of s.notices) expect(rejectionNoticeSchema.safeParse(n).success).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('DaqConnection: the last line under the sink', () => {
  it('an exception from the sink does not unwind into mqtt.js (which would end the process before the PUBACK)', () => {
    const sink: DaqSink = {
      handle: () => {
        throw new Error('escaped');
      },
      forward: (acked) => acked(),
    };
    const daq = new DaqConnection({ url: 'mqtt://127.0.0.1:1', clientIdPrefix: 't' }, sink, [], {
      window: 1,
      idleMs: 1,
      maxDelayMs: 1,
    });
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(() => daq.messageHandler()(DCR, Buffer.from('{}'))).not.toThrow();
    } finally {
      write.mockRestore();
    }
    expect(daq.escaped).toBe(1);
  });
});

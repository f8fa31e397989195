import { EventEmitter } from 'node:events';
import type { MqttClient } from 'mqtt';
import { Topics } from '@cicenns/contracts';
import { isCommissioned, loadSystemConfig, type CalibrationRecord } from '@cicenns/model';
import { CalibrationFeed, MAX_CALIBRATION_BYTES } from './calibration-feed';

const AT = Date.parse('2026-06-01T00:00:00Z');

function setup() {
  const { detector } = loadSystemConfig(undefined, {});
  const warnings: string[] = [];
  const heard: CalibrationRecord[] = [];
  const feed = new CalibrationFeed(detector, { warn: (l) => warnings.push(l) }).onRecord((r) =>
    heard.push(r),
  );
  return { detector, feed, warnings, heard };
}

function commissioned(pmt: string, version = 2, over: Partial<CalibrationRecord> = {}): CalibrationRecord {
  return {
    pmt,
    version,
    validFrom: '2026-05-01T00:00:00Z',
    hvV: 1412,
    gain: 4.1e6,
    beta: 7.4,
    dcrHz: 3100,
    dcrRefTempC: 22,
    dcrTempCoeffPerC: 0.05,
    gainTempCoeffPerC: -0.003,
    measuredAt: '2026-04-30T12:00:00Z',
    method: 'commissioning',
    by: 'hw-alice',
    run: 'run-0007',
    approvedBy: 'expert-bob',
    approvedAt: '2026-05-01T00:00:00Z',
    ...over,
  };
}
const msg = (record: unknown) => JSON.stringify({ record });

describe('CalibrationFeed', () => {
  it('adds an approved record to the detector: it is in force at once, and listeners hear of it', () => {
    const { detector, feed, heard } = setup();
    expect(isCommissioned(detector.currentCalibration('CsI03-A', AT))).toBe(false);
    const rec = commissioned('CsI03-A');
    expect(feed.handle(Topics.calibration.record('CsI03-A'), msg(rec))).toMatchObject({ version: 2 });
    expect(detector.currentCalibration('CsI03-A', AT)).toMatchObject({
      version: 2,
      gain: 4.1e6,
      run: 'run-0007',
    });
    expect(detector.calibrationHistory('CsI03-A').map((r) => r.version)).toEqual([1, 2]);
    expect(heard.map((r) => `${r.pmt} v${r.version}`)).toEqual(['CsI03-A v2']);
    expect(feed.healthCounters()).toEqual({
      calibrationsReceived: 1,
      calibrationsApplied: 1,
      calibrationsRejected: 0,
    });
  });

  it('a version it already has (the retained copy after a reconnect) is counted as known, not heard again', () => {
    const { feed, heard } = setup();
    const topic = Topics.calibration.record('PSV02-B');
    feed.handle(topic, msg(commissioned('PSV02-B')));
    expect(feed.handle(topic, Buffer.from(msg(commissioned('PSV02-B'))))).toBeUndefined();
    expect(heard).toHaveLength(1);
    expect(feed.counters).toMatchObject({ received: 2, applied: 1, known: 1, rejected: 0 });
  });

  it('an empty retained message (a deleted record) is ignored, not counted as bad', () => {
    const { feed } = setup();
    expect(feed.handle(Topics.calibration.record('CsI01-A'), '')).toBeUndefined();
    expect(feed.counters).toMatchObject({ received: 0, rejected: 0 });
  });

  it.each([
    ['too_large', 'CsI01-A', 'x'.repeat(MAX_CALIBRATION_BYTES + 1), /bytes, at most 16384/],
    ['not_json', 'CsI01-A', '{"record":', /not JSON/],
    ['schema', 'CsI01-A', msg({ ...commissioned('CsI01-A'), gain: -1 }), /record\.gain: /],
    ['schema', 'CsI01-A', JSON.stringify({ record: commissioned('CsI01-A'), extra: 1 }), /\(message\)/],
    ['unknown_pmt', 'CsI99-A', msg(commissioned('CsI99-A')), /no PMT "CsI99-A"/],
    ['topic_mismatch', 'CsI01-B', msg(commissioned('CsI01-A')), /for CsI01-A, the topic for CsI01-B/],
  ])(
    'refuses %s (%s): counted, logged with the reason, never thrown, detector unchanged',
    (reason, pmt, payload, detail) => {
      const { detector, feed, warnings, heard } = setup();
      expect(() => feed.handle(Topics.calibration.record(pmt), payload)).not.toThrow();
      expect(feed.counters.rejected).toBe(1);
      expect(feed.rejects).toEqual({ [reason]: 1 });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`(${reason})`);
      expect(warnings[0]).toMatch(detail);
      expect(heard).toEqual([]);
      expect(detector.calibrationHistory('CsI01-A').map((r) => r.version)).toEqual([1]);
    },
  );

  it('logs a flood of bad messages at most once a second, counting every one', () => {
    const { feed, warnings } = setup();
    for (let i = 0; i < 500; i++) feed.handle(Topics.calibration.record('CsI01-A'), 'garbage');
    expect(feed.counters.rejected).toBe(500);
    expect(warnings).toHaveLength(1);
  });

  it('attach: subscribes to every PMT topic and takes only the calibration topics of the connection', async () => {
    const { detector, feed } = setup();
    const client = Object.assign(new EventEmitter(), {
      connected: true,
      subscribed: [] as string[],
      subscribe(topics: string[], _o: unknown, cb: (e: null, g: { topic: string; qos: number }[]) => void) {
        this.subscribed.push(...topics);
        cb(
          null,
          topics.map((topic) => ({ topic, qos: 1 })),
        );
      },
    });
    await feed.attach(client as unknown as MqttClient);
    expect(client.subscribed).toEqual([Topics.calibration.all]);
    client.emit('message', Topics.readings('poller'), Buffer.from('{}'));
    client.emit('message', Topics.calibration.record('PSV10-A'), Buffer.from(msg(commissioned('PSV10-A'))));
    expect(feed.counters).toMatchObject({ received: 1, applied: 1 });
    expect(isCommissioned(detector.currentCalibration('PSV10-A', AT))).toBe(true);
  });
});

import { RateLimitedLog } from '@cicenns/common';
import { calibrationMessageSchema, Topics } from '@cicenns/contracts';
import type { CalibrationRecord, Detector } from '@cicenns/model';
import type { MqttClient } from 'mqtt';
import { subscribeAcked } from './subscribe';

/** A calibration record is a few hundred bytes; anything far beyond is not one. */
export const MAX_CALIBRATION_BYTES = 16 * 1024;

/** Why a message on the calibration topics was not taken (health: calibrationRejects). */
export type CalibrationReject = 'too_large' | 'not_json' | 'schema' | 'unknown_pmt' | 'topic_mismatch';

export interface CalibrationFeedOptions {
  /** where a rejected message is reported, at most once a second */
  warn?: (line: string) => void;
}

/**
 * Approved calibration records from the commissioning service (Topics.calibration.record(pmt),
 * retained, calibrationMessageSchema) into this service's Detector, so that every service uses
 * a newly approved record at once, without a restart. A message is untrusted input: a bad one is
 * counted and logged (rate-limited), never thrown. A version the detector already has (the
 * retained copy after every reconnect, or the seed file's version) is counted as known, and
 * listeners hear only of a version that is new to this service.
 */
export class CalibrationFeed {
  readonly counters = { received: 0, applied: 0, known: 0, rejected: 0 };
  readonly rejects: Partial<Record<CalibrationReject, number>> = {};
  private readonly listeners: ((record: CalibrationRecord) => void)[] = [];
  private readonly log?: RateLimitedLog;

  constructor(
    private readonly detector: Detector,
    opts: CalibrationFeedOptions = {},
  ) {
    if (opts.warn) this.log = new RateLimitedLog(opts.warn);
  }

  /** Call `listener` with every record that became part of the detector's history. */
  onRecord(listener: (record: CalibrationRecord) => void): this {
    this.listeners.push(listener);
    return this;
  }

  /** Subscribe on `client` (again after every reconnect); resolves at the broker's SUBACK. */
  attach(client: MqttClient): Promise<void> {
    client.on('message', (topic, payload) => {
      if (topic.startsWith(Topics.calibration.prefix)) this.handle(topic, payload);
    });
    return subscribeAcked(client, [Topics.calibration.all]);
  }

  /** One message: the record it added, or undefined (known, cleared, or rejected). */
  handle(topic: string, payload: Buffer | string): CalibrationRecord | undefined {
    // an empty retained message deletes the topic's record on the broker: nothing to add
    if (payload.length === 0) return undefined;
    this.counters.received++;
    const pmt = topic.slice(Topics.calibration.prefix.length);
    if (Buffer.byteLength(payload) > MAX_CALIBRATION_BYTES)
      return this.reject(
        'too_large',
        topic,
        `${Buffer.byteLength(payload)} bytes, at most ${MAX_CALIBRATION_BYTES}`,
      );
    let json: unknown;
    try {
      json = JSON.parse(payload.toString());
    } catch {
      return this.reject('not_json', topic, 'not JSON');
    }
    const parsed = calibrationMessageSchema.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      return this.reject('schema', topic, `${first.path.join('.') || '(message)'}: ${first.message}`);
    }
    const { record } = parsed.data;
    if (!this.detector.pmt(pmt)) return this.reject('unknown_pmt', topic, `no PMT "${pmt}" in the detector`);
    if (record.pmt !== pmt)
      return this.reject('topic_mismatch', topic, `the record is for ${record.pmt}, the topic for ${pmt}`);
    if (!this.detector.addCalibration(record)) {
      this.counters.known++;
      return undefined;
    }
    this.counters.applied++;
    for (const l of this.listeners) l(record);
    return record;
  }

  /** For a service's health counters. */
  healthCounters(): Record<string, number> {
    const c = this.counters;
    return {
      calibrationsReceived: c.received,
      calibrationsApplied: c.applied,
      calibrationsRejected: c.rejected,
    };
  }

  private reject(reason: CalibrationReject, topic: string, detail: string): undefined {
    this.counters.rejected++;
    this.rejects[reason] = (this.rejects[reason] ?? 0) + 1;
    this.log?.say(
      `calibration message on ${topic.slice(0, 200)} refused (${reason}): ${detail.slice(0, 300)}`,
    );
    return undefined;
  }
}

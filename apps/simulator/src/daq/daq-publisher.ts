import { Topics } from '@cicenns/contracts';
import type { MqttClient } from 'mqtt';
import type { SimSettings } from '../settings';
import type { DetectorSim } from '../physics/detector-sim';

/** The part of an MQTT client the publisher needs (a fake in unit tests). */
export type Publisher = Pick<MqttClient, 'connected' | 'publish'>;

/**
 * Plays the DAQ: measures DCR, gain, coincidences and beam state on their own periods and
 * publishes them with the SPEC 2.3 topics and payloads, QoS 1. While the broker is away
 * measurements are dropped (counted), not queued without bound.
 */
export class DaqPublisher {
  private timers: NodeJS.Timeout[] = [];
  private dcrRound = 0;
  private tsToggle = 0;
  readonly counters = { published: 0, dropped: 0, failed: 0 };

  constructor(
    private readonly sim: DetectorSim,
    private readonly settings: Pick<
      SimSettings,
      'dcrPeriodMs' | 'gainPeriodMs' | 'coincPeriodMs' | 'beamPeriodMs' | 'dcrForm'
    >,
    private readonly client: Publisher,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    const s = this.settings;
    this.every(s.dcrPeriodMs, () => this.publishDcr());
    this.every(s.gainPeriodMs, () => this.publishGain());
    this.every(s.coincPeriodMs, () => this.publishCoincidence());
    this.every(s.beamPeriodMs, () => this.publishBeam());
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** Everything once, now (on first connect, so a fresh system need not wait 10 minutes for gains). */
  publishAll(): void {
    this.publishBeam();
    this.publishDcr();
    this.publishCoincidence();
    this.publishGain();
  }

  publishDcr(): void {
    const window_s = this.settings.dcrPeriodMs / 1000;
    const rates = this.sim.measureDcr(window_s);
    const form =
      this.settings.dcrForm === 'both' ? (this.dcrRound++ % 2 ? 'sweep' : 'per-pmt') : this.settings.dcrForm;
    if (form === 'sweep') {
      this.send(Topics.daq.sweepDcr, { ts: this.ts(), window_s, rates_hz: rates });
    } else {
      for (const [pmt, rate_hz] of Object.entries(rates)) {
        this.send(Topics.daq.pmtDcrOf(pmt), { ts: this.ts(), rate_hz, window_s });
      }
    }
  }

  publishGain(): void {
    for (const [pmt, g] of Object.entries(this.sim.measureGain(this.now()))) {
      this.send(Topics.daq.pmtGainOf(pmt), {
        ts: this.ts(),
        gain: g.gain,
        gain_err: g.gain_err,
        method: 'spe',
      });
    }
  }

  publishCoincidence(): void {
    const rates = this.sim.measureCoincidence(this.settings.coincPeriodMs / 1000);
    for (const [crystal, rate_hz] of Object.entries(rates)) {
      this.send(Topics.daq.coincidenceOf(crystal), {
        ts: this.ts(),
        rate_hz,
        window_ns: this.sim.coincWindowNs,
      });
    }
  }

  publishBeam(): void {
    this.send(Topics.daq.beam, { ts: this.ts(), ...this.sim.beam() });
  }

  private every(ms: number, fn: () => void): void {
    this.timers.push(setInterval(fn, ms));
  }

  /** Both timestamp forms of SPEC 2.3 occur in the field, so alternate them. */
  private ts(): number | string {
    const ms = this.now();
    return this.tsToggle++ % 2 ? new Date(ms).toISOString() : ms;
  }

  private send(topic: string, payload: object): void {
    if (!this.client.connected) {
      this.counters.dropped++;
      return;
    }
    this.client.publish(topic, JSON.stringify(payload), { qos: 1 }, (err) => {
      if (err) this.counters.failed++;
      else this.counters.published++;
    });
  }
}

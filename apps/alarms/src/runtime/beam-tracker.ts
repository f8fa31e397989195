import { type BeamSnapshot, type Reading } from '@cicenns/contracts';

/** The latest beam state (SPEC 2.3), recorded with every alarm transition. */
export class BeamTracker {
  private current: BeamSnapshot = { on: null, power_kw: null };

  observe(readings: Reading[]): void {
    for (const r of readings) {
      if (r.m !== 'beam' || r.quality !== 'good') continue;
      const on = r.fields.on;
      const power = r.fields.power_kw;
      this.current = {
        on: typeof on === 'boolean' ? on : this.current.on,
        power_kw: typeof power === 'number' ? power : this.current.power_kw,
      };
    }
  }

  snapshot(): BeamSnapshot {
    return { ...this.current };
  }
}

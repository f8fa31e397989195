import { rejectionNoticeSchema, Topics, type RejectionNotice } from '@cicenns/contracts';
import type { MqttClient } from 'mqtt';

/** A notice is a few hundred bytes (rejection-notice.ts); anything much larger is not one. */
const MAX_NOTICE_BYTES = 4096;

/**
 * The last rejections and dead letters the intake reported on cicenns/sc/intake/rejects, in a
 * bounded ring (newest kept), for GET /api/intake/rejects. Notices are not retained: the ring
 * starts empty when the API starts.
 */
export class IntakeRejects {
  private readonly ring: RejectionNotice[] = [];
  private next = 0;
  bad = 0;
  received = 0;

  constructor(readonly capacity = 500) {}

  attach(client: MqttClient): void {
    client.on('connect', () => client.subscribe(Topics.intakeRejects, { qos: 0 }));
    client.on('message', (topic, payload) => {
      if (topic === Topics.intakeRejects) this.onMessage(payload);
    });
  }

  onMessage(payload: Buffer | string): void {
    const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    let notice: RejectionNotice | undefined;
    if (bytes <= MAX_NOTICE_BYTES) {
      try {
        const parsed = rejectionNoticeSchema.safeParse(JSON.parse(payload.toString()));
        if (parsed.success) notice = parsed.data;
      } catch {
        /* counted below */
      }
    }
    if (!notice) {
      this.bad++;
      return;
    }
    this.received++;
    if (this.ring.length < this.capacity) this.ring.push(notice);
    else this.ring[this.next] = notice;
    this.next = (this.next + 1) % this.capacity;
  }

  /** The newest `limit` notices, newest first. */
  latest(limit: number): RejectionNotice[] {
    const n = this.ring.length;
    const out: RejectionNotice[] = [];
    for (let i = 1; i <= Math.min(limit, n); i++) out.push(this.ring[(this.next - i + n) % n]);
    return out;
  }
}

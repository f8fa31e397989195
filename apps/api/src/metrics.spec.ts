import { LiveCache } from './live-cache';
import { buildMetrics } from './metrics';

describe('/metrics', () => {
  it('exports rejected messages, rejected sweep entries and warnings under their own names', async () => {
    const cache = new LiveCache();
    const health = {
      service: 'intake',
      state: 'running',
      ts: Date.now(),
      connections: {},
      counters: { received: 10, rejected: 1, rejectedEntries: 5000 },
      rejects: { unknown_pmt: 1 },
      rejectedEntries: { unknown_pmt: 5000 },
      warnings: { unknown_field: 3, inconsistent: 1 },
    };
    cache.onMessage('cicenns/sc/health/intake', Buffer.from(JSON.stringify(health)));
    const text = await buildMetrics(cache).metrics();
    expect(text).toContain('cicenns_rejected_messages{service="intake",reason="unknown_pmt"} 1');
    expect(text).toContain('cicenns_rejected_entries{service="intake",reason="unknown_pmt"} 5000');
    expect(text).toContain('cicenns_warning_messages{service="intake",reason="unknown_field"} 3');
    expect(text).toContain('cicenns_warning_messages{service="intake",reason="inconsistent"} 1');
    expect(text).toContain('cicenns_service_counter{service="intake",counter="rejectedEntries"} 5000');
  });
});

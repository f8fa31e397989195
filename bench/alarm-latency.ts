/**
 * Alarm latency on real processes: hv-trip faults injected into the simulator, repeatedly; for
 * each, the time from injection to the alarm raised (the runtime's timestamp on the journal
 * event on cicenns/sc/alarms/events) and to Alertmanager holding it (its own updatedAt of the
 * alert, confirmed by polling GET /api/v2/alerts). Target: raised within one poll period plus
 * 100 ms after the condition's delay expires (hv-trip: delay 0, so after the injection).
 *
 *   npm run bench:alarms            (CYCLES=30 POLL_MS=1000 by default)
 */
import { Topics } from '@cicenns/contracts';
import { connect } from 'mqtt';
import { AlarmsHarness, type JournalEventLite } from '../test/support/alarms-harness';
import { sleep } from '../test/support/processes';
import { startAll, stopAll, waitFor } from '../test/support/servers';

const CYCLES = Number(process.env.CYCLES ?? 30);
const POLL_MS = Number(process.env.POLL_MS ?? 1000);
const PMT = 'CsI09-A';
const ALARM = `hv-trip:${PMT}`;

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}

function summary(name: string, xs: number[], target?: number): string {
  const s = [...xs].sort((a, b) => a - b);
  const within =
    target === undefined ? '' : ` | ${s.filter((x) => x <= target).length}/${s.length} within ${target} ms`;
  return `| ${name} | ${quantile(s, 0.5).toFixed(0)} | ${quantile(s, 0.99).toFixed(0)} | ${s[0].toFixed(0)} | ${s[s.length - 1].toFixed(0)}${within} |`;
}

async function main(): Promise<void> {
  const servers = await startAll();
  const h = new AlarmsHarness({ mqttUrl: servers.mqttUrl, tag: 'bench', pollMs: POLL_MS, maxDelayMs: 1000 });
  const raisedAt = new Map<number, number>(); // cycle -> event ts
  let cycle = -1;
  const sub = connect(servers.mqttUrl, { protocolVersion: 4, clientId: `bench-ev-${process.pid}` });
  sub.on('message', (_t, payload) => {
    const e = JSON.parse(payload.toString()) as JournalEventLite;
    if (e.alarmId === ALARM && e.action === 'raise' && !raisedAt.has(cycle)) raisedAt.set(cycle, e.ts);
  });
  await new Promise<void>((r) => sub.once('connect', () => r()));
  await sub.subscribeAsync(Topics.alarms.events, { qos: 1 });
  const toRaise: number[] = [];
  const toAm: number[] = [];
  try {
    await h.start(['simulator', 'intake', 'poller', 'alarms']);
    await sleep(3000);
    for (cycle = 0; cycle < CYCLES; cycle++) {
      // a random phase against the poll cycle, so the sample covers it evenly
      await sleep(Math.random() * POLL_MS);
      const res = await fetch(`${h.simUrl}/api/sim/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'hv-trip', pmt: PMT }),
      });
      const fault = (await res.json()) as { id: string; injectedAtMs: number };
      let amAt = 0;
      await waitFor(
        'alertmanager holds the alarm',
        async () => {
          const alerts = (await (
            await fetch(`${h.am.url}/api/v2/alerts?filter=${encodeURIComponent(`alarm_id="${ALARM}"`)}`)
          ).json()) as { updatedAt: string }[];
          if (alerts.length === 0) return false;
          amAt = Math.min(Date.now(), Date.parse(alerts[0].updatedAt));
          return true;
        },
        10_000,
      );
      await waitFor('raise event', async () => raisedAt.has(cycle), 5000);
      toRaise.push(raisedAt.get(cycle)! - fault.injectedAtMs);
      toAm.push(amAt - fault.injectedAtMs);
      await h.request(Topics.alarms.cmd.ack, { alarmIds: [ALARM], user: 'bench' });
      await h.clearFault(fault.id);
      await waitFor(
        'back to normal',
        async () => {
          const [v] = await h.request<{ state: string }[]>(Topics.alarms.query.list, {
            filter: { alarmIds: [ALARM] },
          });
          return v.state === 'normal';
        },
        10_000,
      );
      process.stdout.write(
        `cycle ${cycle + 1}/${CYCLES}: raised ${toRaise.at(-1)} ms, alertmanager ${toAm.at(-1)} ms\n`,
      );
    }
  } finally {
    await sub.endAsync();
    await h.stop();
    await stopAll(servers);
  }
  const target = POLL_MS + 100;
  process.stdout.write(
    [
      '',
      `hv-trip (delay 0), poll period ${POLL_MS} ms, ${CYCLES} cycles; target: raised within ${target} ms`,
      '| injected fault -> | median ms | p99 ms | min ms | max ms | target |',
      '|---|---|---|---|---|---|',
      summary('alarm raised', toRaise, target),
      summary('Alertmanager holds it', toAm),
      '',
    ].join('\n'),
  );
}

main().catch((e) => {
  process.stderr.write(`bench: ${e?.stack ?? e}\n`);
  process.exit(1);
});

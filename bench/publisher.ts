/**
 * Publishes N DCR messages at QoS 1 as fast as the broker takes them, in its own process so it
 * does not share an event loop with what is measured. Prints one JSON line when all are acked.
 * argv: url topicMode(daq|plain) n t0 (reading i has timestamp t0 + i ms)
 */
import { connect } from 'mqtt';

const [url, mode, nArg, t0Arg] = process.argv.slice(2);
const n = Number(nArg);
const t0 = Number(t0Arg);
const pmts = Array.from({ length: 47 }, (_, i) =>
  i < 15
    ? [`CsI${String(i + 1).padStart(2, '0')}-A`, `CsI${String(i + 1).padStart(2, '0')}-B`]
    : [`PSV${String(i - 14).padStart(2, '0')}-A`, `PSV${String(i - 14).padStart(2, '0')}-B`],
).flat();
const client = connect(url, { clientId: `bench-pub-${process.pid}`, clean: true, protocolVersion: 4 });
// At most WINDOW unacknowledged messages: MQTT message ids are 16 bit, and mqtt.js's default id
// provider reuses ids still in flight once more than 65535 are outstanding (the run then stalls).
const WINDOW = 2000;

client.on('connect', () => {
  const started = Date.now();
  let sent = 0;
  let acked = 0;
  const sendOne = () => {
    const i = sent++;
    const pmt = pmts[i % pmts.length];
    const topic = mode === 'daq' ? `cicenns/daq/pmt/${pmt}/dcr` : `bench/plain/${pmt}`;
    client.publish(
      topic,
      JSON.stringify({ ts: t0 + i, rate_hz: 1000 + (i % 1000), window_s: 10 }),
      { qos: 1 },
      (err) => {
        if (err) throw err;
        if (++acked === n) {
          const cpu = process.cpuUsage();
          const cpuSeconds = (cpu.user + cpu.system) / 1e6;
          process.stdout.write(`${JSON.stringify({ started, acked: Date.now(), n, cpuSeconds })}\n`);
          client.end(false, {}, () => process.exit(0));
        } else if (sent < n) sendOne();
      },
    );
  };
  while (sent < Math.min(n, WINDOW)) sendOne();
});

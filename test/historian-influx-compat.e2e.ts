/**
 * The historian against InfluxDB servers that behave like 2.x/3.x through the v1 API (no
 * CREATE DATABASE: the historian says what the operator sets up) and that refuse some data for
 * good: a stand-in HTTP server records what it is sent. Real Mosquitto, real historian process.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MqttClient } from 'mqtt';
import { readServerState, waitFor } from './support/servers';
import { ServiceProcess } from './support/processes';
import { writeTestConfig } from './support/test-config';
import { testClient } from './support/mqtt';

jest.setTimeout(60_000);

const servers = readServerState();

describe('historian and InfluxDB 2.x/3.x-like servers', () => {
  let server: Server;
  const writes: string[] = [];
  const queries: string[] = [];
  let historian: ServiceProcess;
  let pub: MqttClient;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (req.url?.startsWith('/ping')) {
          res.writeHead(204, { 'X-Influxdb-Version': 'v2.7.11' });
          res.end();
        } else if (req.url?.startsWith('/query')) {
          queries.push(new URLSearchParams(body).get('q') ?? '');
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({ results: [{ statement_id: 0, error: 'not implemented: CREATE DATABASE' }] }),
          );
        } else if (body.includes('refuse-me')) {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'partial write: field type conflict' }));
        } else {
          writes.push(body);
          res.writeHead(204);
          res.end();
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const influxUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { file } = writeTestConfig({
      hvPort: 1,
      tempPort: 2,
      mqttUrl: servers.mqttUrl,
      influxUrl,
      clientIdPrefix: `compat${process.pid}`,
    });
    historian = new ServiceProcess('historian', { CICENNS_CONFIG: file }).start();
    await historian.waitForOutput(/historian: .* -> /);
    pub = await testClient(servers.mqttUrl);
  });

  afterAll(async () => {
    await pub?.endAsync();
    await historian?.stop();
    server?.close();
  });

  /**
   * The reading lines written so far: the historian also writes the services' health as points
   * of measurement service, among them the retained reports other test files left on the
   * shared broker.
   */
  const readingLines = () =>
    writes.flatMap((w) => w.split('\n')).filter((l) => l !== '' && !l.startsWith('service,'));

  const batch = (seq: number, id: string, rate: number) =>
    JSON.stringify({
      service: 'test',
      seq,
      readings: [
        {
          m: 'dcr',
          id,
          ts: 1_700_000_000_000 + seq,
          quality: 'good',
          source: 'daq',
          fields: { rate_hz: rate },
        },
      ],
    });

  it('writes on a 2.x server after saying what to set up, and keeps refused data in the dead-letter table without stopping', async () => {
    await pub.publishAsync('cicenns/sc/readings/test', batch(1, 'CsI01-A', 100), { qos: 1 });
    await waitFor('first reading written', async () => readingLines().length > 0, 20_000);
    // 2.x/3.x (by /ping's version): no CREATE through the v1 API, the operator's part said instead
    expect(queries).toEqual([]);
    expect(historian.output).toMatch(
      /InfluxDB v2\.7\.11 takes no retention policies or continuous queries through the v1 API; set up .*bucket for raw readings \(retention 30d\).*"cicenns_raw" -> the raw bucket \(default\) and "cicenns_1m" -> the aggregate bucket.*every 1m/,
    );
    expect(readingLines()[0]).toBe(
      'dcr,pmt=CsI01-A,group=crystal,parent=CsI01 rate_hz=100,quality="good" 1700000000001',
    );

    // a batch the server refuses for good (400) goes aside; the next one still gets through
    await pub.publishAsync('cicenns/sc/readings/test', batch(2, 'refuse-me', 1), { qos: 1 });
    await new Promise((r) => setTimeout(r, 500));
    await pub.publishAsync('cicenns/sc/readings/test', batch(3, 'CsI02-B', 300), { qos: 1 });
    await waitFor(
      'write after the refused one',
      async () => readingLines().some((l) => l.includes('CsI02-B')),
      20_000,
    );
    // the refused chunk may hold a health point beside the reading (one chunk is refused whole)
    expect(historian.output).toMatch(
      /InfluxDB refused \d+ lines, kept in the spool's dead_letter table: InfluxDB 400: .*field type conflict/,
    );
  });
});

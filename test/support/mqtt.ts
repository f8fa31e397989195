import { connect, type MqttClient } from 'mqtt';

export async function testClient(
  url: string,
  clientId = `test-${Math.random().toString(16).slice(2)}`,
): Promise<MqttClient> {
  const c = connect(url, { clientId, clean: true, protocolVersion: 4, reconnectPeriod: 200 });
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  return c;
}

/**
 * Remove retained messages under a topic filter (e.g. the health reports other test files
 * left on the shared broker), so a test sees only the services it started itself.
 */
export async function clearRetained(url: string, filter: string): Promise<string[]> {
  const c = await testClient(url);
  const topics: string[] = [];
  c.on('message', (topic, payload, packet) => {
    if (packet.retain && payload.length > 0) topics.push(topic);
  });
  await c.subscribeAsync(filter, { qos: 1 });
  await new Promise((r) => setTimeout(r, 300)); // retained messages arrive right after SUBACK
  for (const t of topics) await c.publishAsync(t, '', { qos: 1, retain: true });
  await c.endAsync();
  return topics;
}

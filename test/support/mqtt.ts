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
  await subscribeAndSettle(c, filter);
  for (const t of topics) await c.publishAsync(t, '', { qos: 1, retain: true });
  await c.endAsync();
  return topics;
}

/**
 * Subscribe to `filter` and resolve once every retained message the broker holds under it has
 * arrived: the broker sends them while handling the SUBSCRIBE, so a marker we publish after it
 * reaches us only after all of them (one connection, in order).
 */
export async function subscribeAndSettle(c: MqttClient, filter: string): Promise<void> {
  const marker = `cicenns-test/settle/${Math.random().toString(16).slice(2)}`;
  const seen = new Promise<void>((resolve) => {
    const onMessage = (topic: string) => {
      if (topic !== marker) return;
      c.off('message', onMessage);
      resolve();
    };
    c.on('message', onMessage);
  });
  await c.subscribeAsync([filter, marker], { qos: 1 });
  await c.publishAsync(marker, 'x', { qos: 1 });
  await seen;
  await c.unsubscribeAsync(marker);
}

/**
 * A client logged in as `user` (none: anonymous), MQTT 3.1.1, no reconnect: resolves on CONNACK,
 * rejects when the broker refuses it (the ACL and password tests).
 */
export async function connectAs(url: string, user?: string, password?: string): Promise<MqttClient> {
  const c = connect(url, {
    clientId: `as-${user ?? 'anon'}-${Math.random().toString(16).slice(2)}`,
    username: user,
    password,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => resolve());
      c.once('error', reject);
    });
  } catch (err) {
    c.end(true);
    throw err;
  }
  return c;
}

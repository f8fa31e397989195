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

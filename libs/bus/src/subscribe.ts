import type { MqttClient } from 'mqtt';

/** SUBACK return code of a refused subscription (MQTT 3.1.1 0x80; an ACL denial, say). */
const REFUSED = 128;

/**
 * Subscribe to `topics` now and after every reconnect, and resolve once the broker has
 * acknowledged them the first time (SUBACK). A service is ready only then: before it, the broker
 * holds nothing for it, so what is published is lost for this session (on a first start there is
 * no persistent session yet). Rejects when the broker refuses a subscription (ACL), naming it.
 */
export function subscribeAcked(client: MqttClient, topics: readonly string[], qos: 0 | 1 = 1): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    const subscribe = () =>
      client.subscribe([...topics], { qos }, (err, granted) => {
        if (done) return;
        if (err) return; // not connected after all: the next 'connect' subscribes again
        const refused = (granted ?? []).filter((g) => g.qos === REFUSED).map((g) => g.topic);
        done = true;
        if (refused.length > 0)
          reject(new Error(`the broker refused the subscription to ${refused.join(', ')}`));
        else resolve();
      });
    client.on('connect', subscribe);
    if (client.connected) subscribe();
  });
}

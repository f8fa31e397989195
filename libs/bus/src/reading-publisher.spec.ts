import type { MqttClient } from 'mqtt';
import { ReadingPublisher } from './reading-publisher';
import type { Reading } from '@cicenns/contracts';

const reading = (i: number): Reading => ({
  m: 'dcr',
  id: 'CsI01-A',
  ts: i,
  quality: 'good',
  fields: { rate_hz: i },
  source: 'daq',
});

/** Records publishes; the test decides when the broker acknowledges each. */
function fakeClient() {
  const published: { payload: string; ack: (err?: Error) => void }[] = [];
  const client = {
    publish: (_t: string, payload: string, _o: unknown, cb: (err?: Error) => void) =>
      published.push({ payload, ack: cb }),
  };
  return { client: client as unknown as MqttClient, published };
}

describe('ReadingPublisher.flush(acked)', () => {
  it('tells once the broker holds everything published up to the flush', () => {
    const { client, published } = fakeClient();
    const pub = new ReadingPublisher(client, 'intake', 2, 1000);
    const acked = jest.fn();
    pub.add([reading(1), reading(2), reading(3)]); // one batch of 2 goes out at once
    pub.flush(acked); // the rest: a second batch
    expect(published).toHaveLength(2);
    published[1].ack();
    expect(acked).not.toHaveBeenCalled(); // the first batch is not acknowledged yet
    published[0].ack();
    expect(acked).toHaveBeenCalledWith(undefined);
  });

  it('answers at once when nothing is outstanding, and reports a failed publish', () => {
    const { client, published } = fakeClient();
    const pub = new ReadingPublisher(client, 'intake', 10, 1000);
    const first = jest.fn();
    pub.flush(first);
    expect(first).toHaveBeenCalledWith(undefined);

    const second = jest.fn();
    pub.add([reading(1)]);
    pub.flush(second);
    published[0].ack(new Error('client ended'));
    expect(second).toHaveBeenCalledWith(expect.any(Error));
  });
});

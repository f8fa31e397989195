import { runCommand } from '@cicenns/contracts';
import type { MqttClient } from 'mqtt';
import { CommandResponder, MAX_COMMAND_BYTES } from './command-responder';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const TOPIC = 'cicenns/sc/commissioning/cmd/pause';

function setup(handle: (d: { runId: string; user: string }) => unknown) {
  const replies: { topic: string; body: Record<string, unknown> }[] = [];
  const client = {
    publish: (topic: string, payload: string) => replies.push({ topic, body: JSON.parse(payload) }),
  } as unknown as MqttClient;
  const r = new CommandResponder(client, { [TOPIC]: { schema: runCommand, handle } }, quiet);
  const send = async (payload: unknown) => {
    const ours = r.onMessage(
      TOPIC,
      Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
    );
    await new Promise((res) => setImmediate(res));
    return ours;
  };
  return { r, replies, send };
}

describe('CommandResponder (Nest MQTT request/response on plain mqtt)', () => {
  it('answers a valid request on <topic>/reply with the handler result', async () => {
    const { replies, send } = setup((d) => ({ paused: d.runId }));
    await send({ id: 'a1', pattern: TOPIC, data: { runId: 'run-1', user: 'ada' } });
    expect(replies).toEqual([
      { topic: `${TOPIC}/reply`, body: { id: 'a1', response: { paused: 'run-1' }, isDisposed: true } },
    ]);
  });

  it('refuses data that does not match the schema, naming the field, without calling the handler', async () => {
    const handle = jest.fn();
    const { r, replies, send } = setup(handle);
    await send({ id: 'a2', data: { runId: 'run/1', user: 'ada' } });
    await send({ id: 'a3', data: { runId: 'run-1', user: 'ada', extra: 1 } });
    expect(handle).not.toHaveBeenCalled();
    expect(replies.map((x) => x.body.err)).toEqual([
      { status: 'error', message: 'runId: not a run id' },
      { status: 'error', message: expect.stringMatching(/^request: Unrecognized key.*extra/) },
    ]);
    expect(r.counters).toMatchObject({ commands: 2, rejected: 2 });
  });

  it('a refusal of the handler is an err reply with its message; the responder goes on', async () => {
    const { r, replies, send } = setup(() => {
      throw new Error('unknown run run-9');
    });
    await send({ id: 'a4', data: { runId: 'run-9', user: 'ada' } });
    expect(replies[0].body).toEqual({
      id: 'a4',
      err: { status: 'error', message: 'unknown run run-9' },
      isDisposed: true,
    });
    expect(r.counters.refused).toBe(1);
  });

  it('ignores (and counts) what nobody waits for: not JSON, no id, too large; other topics are not its own', async () => {
    const { r, replies, send } = setup(() => 'x');
    await send('{not json');
    await send({ data: { runId: 'run-1', user: 'ada' } });
    await send({ id: 'big', data: { runId: 'run-1', user: 'x'.repeat(MAX_COMMAND_BYTES) } });
    expect(replies).toEqual([]);
    expect(r.counters).toMatchObject({ commands: 3, rejected: 3 });
    expect(r.onMessage('cicenns/sc/other', Buffer.from('{}'))).toBe(false);
  });
});

import { RpcUnavailable, type BusRpc } from '@cicenns/bus';
import { ServiceUnavailableException } from '@nestjs/common';
import { AuditLog } from '../audit/audit-log';
import { AlarmCache } from './alarm-cache';
import { AlarmsService } from './alarms.service';

const by = {
  user: { name: 'shifter-spec', role: 'shifter' as const, via: 'session' as const },
  origin: '127.0.0.1',
  action: 'alarm.ack',
  params: {},
};
/** alarms of CsI* in partition a, of PSV* in b */
const ownership = {
  partitions: ['a', 'b'],
  ownerOfAlarm: (id: string) => (id.includes(':CsI') ? 'a' : 'b'),
};

function service(
  answer: (pattern: string, data: { alarmIds?: string[]; partition?: string }) => unknown,
  offline: (partition: string) => boolean = () => false,
) {
  const sent: { pattern: string; data: { alarmIds?: string[]; partition?: string } }[] = [];
  const rpc = {
    request: async (pattern: string, data: { alarmIds?: string[]; partition?: string }) => {
      sent.push({ pattern, data });
      return answer(pattern, data);
    },
  } as unknown as BusRpc;
  return {
    api: new AlarmsService(new AlarmCache(), rpc, new AuditLog(':memory:'), ownership, offline),
    sent,
  };
}

describe("the API's alarm actions with the alarm service split", () => {
  it('sends an ack to each owner with its own alarms, one answer per alarm', async () => {
    const { api, sent } = service((_p, d) => d.alarmIds!.map((alarmId) => ({ alarmId, ok: true })));
    const reply = await api.ack(by, {
      alarmIds: ['dcr-high:CsI01-A', 'dcr-high:PSV01-A', 'hv-trip:CsI02-B'],
    });
    expect(sent.map((s) => s.data.alarmIds)).toEqual([
      ['dcr-high:CsI01-A', 'hv-trip:CsI02-B'],
      ['dcr-high:PSV01-A'],
    ]);
    expect(reply).toHaveLength(3);
  });

  it('an owner that does not answer: its alarms come back refused with the reason, the others done', async () => {
    const { api } = service((_p, d) => {
      if (d.alarmIds![0].includes(':PSV'))
        throw new RpcUnavailable('the alarm service did not answer within 5 s');
      return d.alarmIds!.map((alarmId) => ({ alarmId, ok: true }));
    });
    const reply = (await api.ack(by, { alarmIds: ['dcr-high:CsI01-A', 'dcr-high:PSV01-A'] })) as {
      alarmId: string;
      ok: boolean;
      error?: string;
    }[];
    expect(reply).toEqual([
      { alarmId: 'dcr-high:CsI01-A', ok: true },
      { alarmId: 'dcr-high:PSV01-A', ok: false, error: expect.stringMatching(/did not answer/) },
    ]);
  });

  it('the journal: each partition asked, merged newest first, the limit over the whole', async () => {
    const { api, sent } = service((_p, d) =>
      d.partition === 'a'
        ? [
            { ts: 30, alarmId: 'x:CsI01-A' },
            { ts: 10, alarmId: 'x:CsI01-A' },
          ]
        : [{ ts: 20, alarmId: 'x:PSV01-A' }],
    );
    expect(await api.journal({ limit: 2 })).toEqual({
      events: [
        { ts: 30, alarmId: 'x:CsI01-A' },
        { ts: 20, alarmId: 'x:PSV01-A' },
      ],
      missing: [],
    });
    expect(sent.map((s) => s.data.partition)).toEqual(['a', 'b']);
  });

  it("the journal while a partition is down: the others' events, the silent one named with why", async () => {
    const { api } = service((_p, d) => {
      if (d.partition === 'b') throw new RpcUnavailable('the alarm service did not answer within 5 s');
      return [{ ts: 30, alarmId: 'x:CsI01-A' }];
    });
    expect(await api.journal({})).toEqual({
      events: [{ ts: 30, alarmId: 'x:CsI01-A' }],
      missing: [{ partition: 'b', reason: expect.stringMatching(/did not answer/) }],
    });
  });

  it('the journal does not wait for a partition whose health says offline: named missing at once', async () => {
    const { api, sent } = service(
      () => [{ ts: 30, alarmId: 'x:CsI01-A' }],
      (p) => p === 'b',
    );
    expect(await api.journal({})).toEqual({
      events: [{ ts: 30, alarmId: 'x:CsI01-A' }],
      missing: [{ partition: 'b', reason: 'alarm partition b is offline (its health)' }],
    });
    expect(sent.map((s) => s.data.partition)).toEqual(['a']);
    // every one offline: asked all the same (a health report is not an answer)
    const all = service(
      () => [],
      () => true,
    );
    await all.api.journal({});
    expect(all.sent.map((s) => s.data.partition)).toEqual(['a', 'b']);
  });

  it("one alarm's journal: only its owner asked, and refused at once while the owner is offline", async () => {
    const { api, sent } = service(() => [{ ts: 30, alarmId: 'x:PSV01-A' }]);
    expect(await api.journal({ alarmId: 'x:PSV01-A', limit: 5 })).toEqual({
      events: [{ ts: 30, alarmId: 'x:PSV01-A' }],
      missing: [],
    });
    expect(sent.map((s) => s.data)).toEqual([{ alarmId: 'x:PSV01-A', limit: 5, partition: 'b' }]);
    const down = service(
      () => [],
      (p) => p === 'b',
    );
    await expect(down.api.journal({ alarmId: 'x:PSV01-A' })).rejects.toThrow(
      'alarm partition b is offline (its health): not sent',
    );
    expect(down.sent).toEqual([]);
  });

  it("a command on an offline partition's alarm is refused at once and not sent", async () => {
    const { api, sent } = service(
      (_p, d) => (d.alarmIds ?? []).map((alarmId) => ({ alarmId, ok: true })),
      (p) => p === 'b',
    );
    await expect(
      api.shelve({ ...by, action: 'alarm.shelve' }, 'dcr-high:PSV01-A', 'work', 30),
    ).rejects.toBeInstanceOf(ServiceUnavailableException);
    await expect(api.ack(by, { alarmIds: ['dcr-high:PSV01-A'] })).rejects.toThrow(/partition b is offline/);
    // an ack across partitions: the online owner's part done, the offline one's alarms refused with why
    expect(await api.ack(by, { alarmIds: ['dcr-high:CsI01-A', 'dcr-high:PSV01-A'] })).toEqual([
      { alarmId: 'dcr-high:CsI01-A', ok: true },
      {
        alarmId: 'dcr-high:PSV01-A',
        ok: false,
        error: 'alarm partition b is offline (its health): not sent',
      },
    ]);
    expect(sent.map((s) => s.data.alarmIds)).toEqual([['dcr-high:CsI01-A']]);
  });

  it('the journal when no partition answers: unavailable (503), as the single service', async () => {
    const { api } = service(() => {
      throw new RpcUnavailable('the alarm service did not answer within 5 s');
    });
    await expect(api.journal({})).rejects.toBeInstanceOf(ServiceUnavailableException);
  });
});

describe("the API's journal with one alarm service", () => {
  it('asks once, without a partition, and passes the answer on whole', async () => {
    const sent: unknown[] = [];
    const events = [{ ts: 10, alarmId: 'x:CsI01-A' }];
    const rpc = {
      request: async (_pattern: string, data: unknown) => (sent.push(data), events),
    } as unknown as BusRpc;
    const api = new AlarmsService(new AlarmCache(), rpc, new AuditLog(':memory:'));
    expect(await api.journal({ limit: 5 })).toEqual({ events, missing: [] });
    expect(sent).toEqual([{ limit: 5 }]);
  });
});

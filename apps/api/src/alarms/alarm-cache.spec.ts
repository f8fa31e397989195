import { AlarmCache } from './alarm-cache';

const put = (c: AlarmCache, id: string, state: string, severity: string, raisedAt?: number) =>
  c.onMessage(id, Buffer.from(JSON.stringify({ alarmId: id, state, severity, raisedAt, updatedAt: 1 })));

describe('AlarmCache', () => {
  it('lists active first, alarm before warning, oldest first; normal last', () => {
    const c = new AlarmCache();
    put(c, 'n', 'normal', 'alarm');
    put(c, 'w-old', 'active-unack', 'warning', 1);
    put(c, 'a-new', 'active-unack', 'alarm', 30);
    put(c, 'a-old', 'active-ack', 'alarm', 10);
    put(c, 's', 'shelved', 'alarm', 5);
    expect(c.list().map((a) => a.alarmId)).toEqual(['a-old', 'a-new', 'w-old', 's', 'n']);
  });

  it('tells listeners of changes, forgets a cleared retained state, counts garbage', () => {
    const c = new AlarmCache();
    const seen: string[] = [];
    c.onChange((a) => seen.push(`${a.alarmId}:${a.state}`));
    put(c, 'x', 'active-unack', 'alarm', 1);
    c.onMessage('x', Buffer.alloc(0));
    c.onMessage('y', Buffer.from('not json'));
    expect(seen).toEqual(['x:active-unack']);
    expect(c.list()).toEqual([]);
    expect(c.bad).toBe(1);
  });
});

import {
  ackCommand,
  disableCommand,
  journalQuery,
  listQuery,
  shelveCommand,
  treeQuery,
} from './alarm-commands';

// One set of limits for the API's HTTP bodies and the alarm service's commands.
describe('alarm commands', () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `hv-trip:CsI${i}-A`);

  it('acknowledges at most 500 alarms at once', () => {
    expect(ackCommand.safeParse({ alarmIds: ids(500), user: 'alice' }).success).toBe(true);
    expect(ackCommand.safeParse({ alarmIds: ids(501), user: 'alice' }).success).toBe(false);
    expect(ackCommand.safeParse({ alarmIds: [], user: 'alice' }).success).toBe(false);
  });

  it('takes reasons of 1..500 characters, trimmed, and refuses what is not an alarm id', () => {
    const until = Date.now() + 60_000;
    const shelve = (reason: string) =>
      shelveCommand.safeParse({ alarmId: 'hv-trip:CsI01-A', reason, until, user: 'bob' });
    expect(shelve('x'.repeat(500)).success).toBe(true);
    expect(shelve('x'.repeat(501)).success).toBe(false);
    expect(shelve('   ').success).toBe(false);
    expect(disableCommand.safeParse({ alarmId: 'no spaces', reason: 'r', user: 'c' }).success).toBe(false);
  });

  it('reads an ISO until as epoch milliseconds; a journal query of up to 10 000 events', () => {
    const c = shelveCommand.parse({
      alarmId: 'a:b',
      reason: 'r',
      until: '2030-01-01T00:00:00Z',
      user: 'bob',
    });
    expect(c.until).toBe(Date.parse('2030-01-01T00:00:00Z'));
    expect(journalQuery.safeParse({ limit: 10_000 }).success).toBe(true);
    expect(journalQuery.safeParse({ limit: 10_001 }).success).toBe(false);
  });

  it('the queries list, journal and tree name an alarm partition (an instance id) the same way', () => {
    for (const q of [listQuery, journalQuery, treeQuery]) {
      expect(q.safeParse({}).success).toBe(true);
      expect(q.safeParse({ partition: 'b' }).success).toBe(true);
      expect(q.safeParse({ partition: 'b c' }).error?.issues[0].message).toBe('an alarm partition id');
      expect(q.safeParse({ partiton: 'b' }).success).toBe(false); // a misspelt field is refused, not ignored
    }
  });
});

import { loadSystemConfig } from '@cicenns/model';
import { Topics } from '@cicenns/contracts';
import { answersRequest } from './alarm-instance';
import { configWithAlarmPartitions } from '../../../../test/support/alarm-partitions';

const file = configWithAlarmPartitions(); // a (system): the crystals; b: the veto panels
const answers = (instance: string) => answersRequest(loadSystemConfig(file, { CICENNS_INSTANCE: instance }));
const instances = { a: answers('a'), b: answers('b') };
/** the instances that answer this request */
const who = (topic: string, data: unknown) =>
  Object.entries(instances).flatMap(([id, answersIt]) => (answersIt(topic, data) ? [id] : []));
const { query, cmd } = Topics.alarms;

describe('which alarm instance answers a request', () => {
  it('a query naming a partition (list, journal, tree alike): that partition alone', () => {
    for (const topic of [query.list, query.journal, query.tree]) {
      expect({ topic, who: who(topic, { partition: 'b' }) }).toEqual({ topic, who: ['b'] });
      expect({ topic, who: who(topic, { partition: 'a' }) }).toEqual({ topic, who: ['a'] });
      // none named: the system partition; one that does not exist: nobody (the caller times out)
      expect({ topic, who: who(topic, {}) }).toEqual({ topic, who: ['a'] });
      expect({ topic, who: who(topic, undefined) }).toEqual({ topic, who: ['a'] });
      expect({ topic, who: who(topic, { partition: 'z' }) }).toEqual({ topic, who: [] });
    }
  });

  it('a command: the owner of its alarm, whatever `partition` says', () => {
    expect(who(cmd.ack, { alarmIds: ['dcr-high:PSV01-A'], partition: 'a' })).toEqual(['b']);
    expect(who(cmd.ack, { alarmIds: ['dcr-high:CsI01-A'] })).toEqual(['a']);
  });

  it('the single alarm service answers everything, partition or not', () => {
    const single = answersRequest(loadSystemConfig(undefined, {}));
    expect(single(query.tree, { partition: 'b' })).toBe(true);
    expect(single(query.list, {})).toBe(true);
  });
});

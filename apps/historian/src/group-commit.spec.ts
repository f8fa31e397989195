import { FakePubackClient } from '../../../test/support/fake-puback-client';
import { GroupCommit } from './group-commit';

const nextTurn = () => new Promise((r) => setImmediate(r));

describe('GroupCommit', () => {
  let client: FakePubackClient;
  let commits: string[][];
  let failNext: boolean;
  let group: GroupCommit;
  /** what the historian does per QoS 1 message: its lines taken, then mqtt.js sends the PUBACK */
  const receive = (messageId: number, lines: string[]) => {
    group.add(lines);
    client.sendPuback(messageId);
  };
  const acksWritten = () => client.acksWritten;

  beforeEach(() => {
    client = new FakePubackClient();
    commits = [];
    failNext = false;
    group = new GroupCommit(
      client.asClient(),
      (lines) => {
        if (failNext) {
          failNext = false;
          throw new Error('disk full');
        }
        commits.push([...lines]);
      },
      10,
    );
  });

  it('commits the messages of one turn together, and sends their PUBACKs only after that, in order', async () => {
    receive(1, ['a1', 'a2']);
    receive(2, ['b1']);
    receive(3, ['c1', 'c2']);
    expect(commits).toEqual([]);
    expect(acksWritten()).toEqual([]);
    expect(group.pendingLines).toBe(5);
    expect(group.heldAcks).toBe(3);
    await nextTurn();
    expect(commits).toEqual([['a1', 'a2', 'b1', 'c1', 'c2']]);
    expect(acksWritten()).toEqual([1, 2, 3]);
    receive(4, ['d1']);
    await nextTurn();
    expect(commits).toEqual([['a1', 'a2', 'b1', 'c1', 'c2'], ['d1']]);
    expect(acksWritten()).toEqual([1, 2, 3, 4]);
  });

  it('commits at once at maxLines; the PUBACK of the message that filled it goes with the next commit', async () => {
    receive(1, ['1', '2', '3', '4', '5', '6']);
    receive(2, ['7', '8', '9', '10', '11']);
    // the second message's lines reached 10: committed now, with the first message's ack
    expect(commits).toEqual([['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11']]);
    expect(acksWritten()).toEqual([1]);
    await nextTurn();
    expect(commits).toHaveLength(1); // nothing more to commit
    expect(acksWritten()).toEqual([1, 2]);
  });

  it('sends no PUBACK whose lines could not be committed, and keeps the lines for the next try', async () => {
    receive(1, ['a']);
    failNext = true;
    expect(() => group.flush()).toThrow('disk full');
    expect(acksWritten()).toEqual([]);
    expect(group.pendingLines).toBe(1);
    receive(2, ['b']);
    await nextTurn();
    expect(commits).toEqual([['a', 'b']]);
    expect(acksWritten()).toEqual([1, 2]);
  });

  it('drops the PUBACKs of a closed connection (the broker sends those messages again) but commits their lines', async () => {
    receive(1, ['a']);
    client.connected = false;
    client.emit('close');
    receive(2, ['b']); // handled after the drop: no ack to hold
    await nextTurn();
    expect(commits).toEqual([['a', 'b']]);
    expect(acksWritten()).toEqual([]);
    client.connected = true;
    receive(3, ['c']);
    await nextTurn();
    expect(acksWritten()).toEqual([3]);
  });

  it('commits lines without a PUBACK (QoS 0 health reports), and passes other packets straight on', async () => {
    group.add(['service,name=poller state=1i']);
    client._sendPacket({ cmd: 'pingreq' });
    expect(client.written).toEqual([{ cmd: 'pingreq' }]);
    await nextTurn();
    expect(commits).toEqual([['service,name=poller state=1i']]);
  });
});

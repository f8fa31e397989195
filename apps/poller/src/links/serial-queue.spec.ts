import { SerialQueue } from './serial-queue';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SerialQueue', () => {
  it('never runs two jobs at once and keeps their order', async () => {
    const q = new SerialQueue();
    let active = 0;
    let maxActive = 0;
    const order: number[] = [];
    const jobs = Array.from({ length: 20 }, (_, i) =>
      q.run(async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await sleep(i % 3);
        order.push(i);
        active--;
        return i * 2;
      }),
    );
    expect(await Promise.all(jobs)).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
    expect(maxActive).toBe(1);
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('a failing job rejects its own promise and does not stall the queue', async () => {
    const q = new SerialQueue();
    const a = q.run(async () => {
      throw new Error('timeout after 1000 ms');
    });
    const b = q.run(() => {
      throw new Error('synchronous throw'); // not even a promise
    });
    const c = q.run(async () => 'still served');
    await expect(a).rejects.toThrow('timeout');
    await expect(b).rejects.toThrow('synchronous');
    await expect(c).resolves.toBe('still served');
    expect(q.busy).toBe(false);
  });

  it('an urgent job (a write) goes before queued jobs but after the running one', async () => {
    const q = new SerialQueue();
    const order: string[] = [];
    const job = (name: string) => async () => {
      order.push(`${name}>`);
      await sleep(2);
      order.push(`<${name}`);
    };
    const all = [q.run(job('read1')), q.run(job('read2')), q.run(job('read3'))];
    all.push(q.run(job('write'), { urgent: true }));
    await Promise.all(all);
    expect(order).toEqual(['read1>', '<read1', 'write>', '<write', 'read2>', '<read2', 'read3>', '<read3']);
  });
});

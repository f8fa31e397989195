import { BrokerDrops } from './broker-drops';

describe("BrokerDrops: Mosquitto's dropped count", () => {
  it('takes the first report as the baseline, counts increases, and survives a broker restart and garbage', () => {
    const d = new BrokerDrops();
    d.onReport('120', 1000);
    expect(d).toMatchObject({ total: 120, sinceStart: 0, lastIncreaseAt: undefined });
    d.onReport('150', 2000);
    expect(d).toMatchObject({ total: 150, sinceStart: 30, lastIncreaseAt: 2000 });
    d.onReport('150', 3000);
    expect(d.lastIncreaseAt).toBe(2000);
    d.onReport('not a number', 3500);
    d.onReport('-4', 3600);
    d.onReport('0', 4000); // the broker restarted
    expect(d).toMatchObject({ total: 0, sinceStart: 30 });
    d.onReport('5', 5000);
    expect(d).toMatchObject({ total: 5, sinceStart: 35, lastIncreaseAt: 5000 });
  });
});

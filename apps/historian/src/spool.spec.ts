import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Spool } from './spool';

describe('spool', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps lines across a reopen, hands them out oldest first in chunks, removes what was written', () => {
    const path = join(dir, 's.db');
    const s = new Spool(path);
    s.append(['a 1', 'a 2']);
    s.append(['b 1']);
    s.append(['c 1', 'c 2', 'c 3']);
    s.close();
    const s2 = new Spool(path);
    expect(s2.backlogLines).toBe(6);
    const chunk = s2.claim(3)!;
    expect(chunk.body).toBe('a 1\na 2\nb 1');
    expect(chunk.lines).toBe(3);
    s2.settle(chunk, { stored: true });
    expect(s2.backlogLines).toBe(3);
    const next = s2.claim(1)!; // at least one row even when it exceeds the limit
    expect(next.lines).toBe(3);
    s2.settle(next, { deadLetter: 'field type conflict' });
    expect(s2.claim(10)).toBeUndefined();
    expect(s2.deadLetterLines()).toBe(3);
    s2.close();
  });

  it('hands out each row to one claim; a newer chunk settled first stays until the older one is', () => {
    const path = join(dir, 'order.db');
    const s = new Spool(path);
    for (const x of ['a', 'b', 'c']) s.append([`${x} 1`]);
    const a = s.claim(1)!;
    const b = s.claim(1)!;
    expect([a.body, b.body]).toEqual(['a 1', 'b 1']);
    expect(s.unclaimedLines).toBe(1);
    s.settle(b, { stored: true });
    expect(s.backlogLines).toBe(3); // b waits for a: the table stays a queue
    s.append(['d 1']); // appended while a and b are out: a new row, after them
    const c = s.claim(5)!;
    expect(c.body).toBe('c 1\nd 1');
    s.settle(a, { stored: true });
    expect(s.backlogLines).toBe(2);
    s.close();
    // a crash now: c was claimed but never settled; it is all that is left, in order
    const again = new Spool(path);
    expect(again.backlogLines).toBe(2);
    expect(again.claim(5)!.body).toBe('c 1\nd 1');
    again.close();
  });

  it('dead-letters exactly the refused chunk when it settles before an older one', () => {
    const s = new Spool(join(dir, 'dead.db'));
    for (const x of ['a', 'b', 'c']) s.append([`${x} 1`]);
    const a = s.claim(1)!;
    const b = s.claim(1)!;
    const c = s.claim(1)!;
    s.settle(b, { deadLetter: 'type conflict' });
    s.settle(c, { stored: true });
    expect(s.deadLetterLines()).toBe(0); // moved with the prefix, in one transaction
    s.settle(a, { stored: true });
    expect(s.deadLetterLines()).toBe(1);
    expect(s.backlogLines).toBe(0);
    // an empty table after every claim settled: new rows are claimed from the start again
    s.append(['e 1']);
    expect(s.claim(5)!.body).toBe('e 1');
    expect(() => s.settle(b, { stored: true })).toThrow(/not outstanding/);
    s.close();
  });

  it('keeps the lines of another retention policy in chunks of their own', () => {
    const s = new Spool(join(dir, 'rp.db'));
    s.append(['r 1', 'r 2']);
    s.append(['g 1'], 'cicenns_1m');
    s.append(['g 2'], 'cicenns_1m');
    s.append(['r 3']);
    const raw = s.claim(10)!;
    expect([raw.body, raw.rp]).toEqual(['r 1\nr 2', undefined]);
    const agg = s.claim(10)!;
    expect([agg.body, agg.rp]).toEqual(['g 1\ng 2', 'cicenns_1m']);
    expect(s.claim(10)!.body).toBe('r 3');
    s.close();
  });

  it('tells when everything it held at a mark has left, in order, across a reopen', () => {
    const path = join(dir, 'mark.db');
    const s = new Spool(path);
    s.append(['a 1']);
    s.close();
    const s2 = new Spool(path);
    s2.append(['b 1']);
    const mark = s2.mark();
    s2.append(['c 1']);
    expect(s2.settledThrough(mark)).toBe(false);
    const a = s2.claim(1)!;
    const b = s2.claim(1)!;
    s2.settle(b, { stored: true }); // b waits for a: nothing has left yet
    expect(s2.settledThrough(mark)).toBe(false);
    s2.settle(a, { stored: true });
    expect(s2.settledThrough(mark)).toBe(true);
    s2.setMeta('k', '42');
    s2.close();
    expect(new Spool(path).meta('k')).toBe('42');
  });

  it('opens a spool of the version before retention policies, lines kept, as raw', () => {
    const path = join(dir, 'old.db');
    const old = new Database(path);
    old.exec(`CREATE TABLE spool (id INTEGER PRIMARY KEY, lines INTEGER NOT NULL, body TEXT NOT NULL, received INTEGER NOT NULL);
      CREATE TABLE dead_letter (id INTEGER PRIMARY KEY, lines INTEGER NOT NULL, body TEXT NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL);
      INSERT INTO spool (lines, body, received) VALUES (1, 'x 1', 0);`);
    old.close();
    const s = new Spool(path);
    const c = s.claim(10)!;
    expect([c.body, c.rp]).toEqual(['x 1', undefined]);
    s.settle(c, { deadLetter: 'refused' });
    expect(s.deadLetterLines()).toBe(1);
    s.close();
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
});

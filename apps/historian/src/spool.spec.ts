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
    const chunk = s2.peek(3)!;
    expect(chunk.body).toBe('a 1\na 2\nb 1');
    expect(chunk.lines).toBe(3);
    s2.remove(chunk);
    expect(s2.backlogLines).toBe(3);
    const next = s2.peek(1)!; // at least one row even when it exceeds the limit
    expect(next.lines).toBe(3);
    s2.deadLetter(next, 'field type conflict');
    expect(s2.peek(10)).toBeUndefined();
    expect(s2.deadLetterLines()).toBe(3);
  });
});

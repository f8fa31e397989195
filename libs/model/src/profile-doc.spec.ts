import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { defaultConfigDir } from './load-config';
import { BEGIN, documentedKeys, END, profileReference } from './profile-doc';
import { profileSchema } from './schemas';

const file = join(defaultConfigDir(), '..', 'docs', 'PROFILES.md');
const doc = readFileSync(file, 'utf8');

describe('docs/PROFILES.md is the schema (it cannot go stale)', () => {
  it('the committed reference section is what `npm run docs:profiles` generates', () => {
    const committed = doc.slice(doc.indexOf(BEGIN), doc.indexOf(END) + END.length);
    // prettier aligns the tables: compare cell by cell
    expect(normalize(committed)).toEqual(normalize(profileReference()));
  });

  it('every key the schema accepts is in the document, and every documented key is accepted', () => {
    const keys = documentedKeys();
    expect(keys.length).toBeGreaterThan(20);
    for (const k of keys) expect(doc).toContain(`\`${k}\``);
    const table = [...doc.matchAll(/^\| `([^`]+)`\s*\|/gm)].map((m) => m[1]);
    expect(table.sort()).toEqual([...keys].sort());
  });

  it('the worked example is a valid profile', () => {
    const yaml = /```yaml\n# config\/profiles\/vendor-x-hv\.yaml\n([\s\S]*?)```/.exec(doc)![1];
    const r = profileSchema.safeParse(parse(yaml));
    expect(r.error?.issues ?? []).toEqual([]);
    expect(r.data!.addressing.stride).toBeUndefined();
  });
});

/** Markdown lines with table cells trimmed and separator rows reduced, blank lines dropped. */
function normalize(md: string): string[] {
  return md
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) =>
      l.startsWith('|')
        ? l
            .split(/(?<!\\)\|/)
            .map((c) => c.trim().replace(/^-+$/, '---'))
            .join('|')
        : l.trim(),
    );
}

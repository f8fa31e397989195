/** `npm run docs:profiles`: rewrite the generated reference section of docs/PROFILES.md. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConfigDir } from './load-config';
import { withReference } from './profile-doc';

const file = join(defaultConfigDir(), '..', 'docs', 'PROFILES.md');
writeFileSync(file, withReference(readFileSync(file, 'utf8')));
process.stdout.write(`wrote ${file}\n`);

import { rmSync } from 'node:fs';
import { readServerState, stopPid } from './servers';

export default async function globalTeardown(): Promise<void> {
  const s = readServerState();
  for (const pid of Object.values(s.pids)) stopPid(pid);
  await new Promise((r) => setTimeout(r, 500));
  for (const pid of Object.values(s.pids)) stopPid(pid, 'SIGKILL');
  if (!process.env.KEEP_TEST_DATA) rmSync(s.dir, { recursive: true, force: true });
}

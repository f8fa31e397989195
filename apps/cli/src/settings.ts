import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** Where the CLI talks to and as whom: CICENNS_URL / CICENNS_TOKEN, else what `cicenns login` saved. */
export interface Settings {
  url: string;
  token?: string;
}

export function sessionFile(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.CICENNS_SESSION_FILE ??
    join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'cicenns', 'session.json')
  );
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  let saved: Partial<Settings> = {};
  const file = sessionFile(env);
  if (existsSync(file)) {
    try {
      saved = JSON.parse(readFileSync(file, 'utf8')) as Partial<Settings>;
    } catch {
      /* a broken file is as good as none */
    }
  }
  const url = (env.CICENNS_URL ?? saved.url ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
  // a saved session belongs to the URL it was made for
  const token = env.CICENNS_TOKEN ?? (saved.url === url ? saved.token : undefined);
  return { url, token };
}

export function saveSession(s: Settings, env: NodeJS.ProcessEnv = process.env): string {
  const file = sessionFile(env);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(s), { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

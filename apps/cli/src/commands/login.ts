import type { ApiClient } from '../client';
import { ask, readStdin } from '../prompt';
import { saveSession, type Settings } from '../settings';
import { out } from './format';

/** `cicenns login [user]`: a session token, saved (mode 600) for the following commands. */
export async function login(api: ApiClient, settings: Settings, user: string | undefined): Promise<number> {
  const username = user ?? (await ask('user: '));
  const password = process.stdin.isTTY ? await ask('password: ', true) : await readStdin();
  const r = await api.post<{ token: string; user: { name: string; role: string }; expiresAt: string }>(
    '/api/auth/login',
    { username, password },
  );
  const file = saveSession({ url: settings.url, token: r.token });
  out(
    `logged in to ${settings.url} as ${r.user.name} (${r.user.role}) until ${r.expiresAt}; session in ${file}`,
  );
  return 0;
}

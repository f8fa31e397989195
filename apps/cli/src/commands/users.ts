import { hashPassword, hashToken, newToken } from '@cicenns/common';
import { ask, readStdin } from '../prompt';
import { out } from './format';

/** `cicenns users hash-password`: a scrypt hash for the users file (password typed twice, or piped). */
export async function hashPasswordCommand(): Promise<number> {
  let password: string;
  if (process.stdin.isTTY) {
    password = await ask('password: ', true);
    if ((await ask('again: ', true)) !== password) throw new Error('the two passwords differ');
  } else password = await readStdin();
  if (password.length < 10) throw new Error('use at least 10 characters');
  out(await hashPassword(password));
  return 0;
}

/** `cicenns users new-token`: a fresh API token (give it to the script) and its sha256 (for the users file). */
export function newTokenCommand(): number {
  const token = newToken();
  out(`token:  ${token}`);
  out(`sha256: ${hashToken(token)}`);
  return 0;
}

import { AuthService, demoAccounts } from './auth.service';
import { hashPassword, hashToken, verifyPassword } from './passwords';
import { hasRole } from './roles';

describe('passwords', () => {
  it('hashes with scrypt and a random salt, and verifies', async () => {
    const h = await hashPassword('s3cret pass');
    expect(h).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(h).not.toBe(await hashPassword('s3cret pass'));
    expect(await verifyPassword('s3cret pass', h)).toBe(true);
    expect(await verifyPassword('s3cret pasS', h)).toBe(false);
    expect(await verifyPassword('x', 'plain-text')).toBe(false);
  });
});

describe('AuthService', () => {
  let now = 0;
  const make = async () =>
    new AuthService(
      [
        { name: 'ann', role: 'shifter', password: await hashPassword('ann-password'), tokens: [] },
        { name: 'bot', role: 'viewer', tokens: [{ name: 'ci', sha256: hashToken('bot-token') }] },
      ],
      60_000,
      () => now,
    );

  it('logs in, resolves the session until it expires, logs out', async () => {
    const auth = await make();
    const r = await auth.login('ann', 'ann-password', '10.0.0.1');
    if (typeof r === 'string') throw new Error(r);
    expect(auth.resolve(r.token)).toEqual({ name: 'ann', role: 'shifter', via: 'session' });
    now += 60_001;
    expect(auth.resolve(r.token)).toBeUndefined();
    now = 0;
    const again = (await auth.login('ann', 'ann-password', '10.0.0.1')) as { token: string };
    auth.logout(again.token);
    expect(auth.resolve(again.token)).toBeUndefined();
  });

  it('knows API tokens by their hash; a token-only account cannot log in with a password', async () => {
    const auth = await make();
    expect(auth.resolve('bot-token')).toEqual({ name: 'bot', role: 'viewer', via: 'token' });
    expect(await auth.login('bot', '', '10.0.0.1')).toBe('wrong user name or password');
  });

  it('refuses logins for a while after 5 failures from one address', async () => {
    const auth = await make();
    for (let i = 0; i < 5; i++) expect(await auth.login('ann', 'wrong', '10.0.0.2')).toMatch(/wrong/);
    expect(await auth.login('ann', 'ann-password', '10.0.0.2')).toMatch(/too many failed logins/);
    expect(typeof (await auth.login('ann', 'ann-password', '10.0.0.3'))).toBe('object');
    now += 5 * 60_000;
    expect(typeof (await auth.login('ann', 'ann-password', '10.0.0.2'))).toBe('object');
  });

  it('ends the sessions of a user whose role changed when the users file is reloaded', async () => {
    const auth = await make();
    const r = (await auth.login('ann', 'ann-password', 'x')) as { token: string };
    auth.setUsers([{ name: 'ann', role: 'expert', tokens: [] }]);
    expect(auth.resolve(r.token)).toBeUndefined();
  });

  it('demo accounts: one per role with a random password each', async () => {
    const d = await demoAccounts();
    expect(d.users.map((u) => u.role)).toEqual(['viewer', 'shifter', 'expert', 'admin']);
    expect(new Set(Object.values(d.passwords)).size).toBe(4);
    expect(await verifyPassword(d.passwords.expert, d.users[2].password!)).toBe(true);
  });

  it('ranks roles', () => {
    expect(hasRole('admin', 'expert')).toBe(true);
    expect(hasRole('shifter', 'expert')).toBe(false);
  });
});

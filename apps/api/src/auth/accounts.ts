import { existsSync } from 'node:fs';
import { ConfigError, type SystemConfig } from '@cicenns/model';
import { demoAccounts } from './auth.service';
import { loadUsers, usersFilePath, type UserAccount } from './users-file';

export interface Accounts {
  users: UserAccount[];
  /** the users file they came from; none for the demo's generated accounts */
  file?: string;
  /** the demo's generated passwords, by user name */
  passwords?: Record<string, string>;
}

/**
 * The accounts the API serves: the users file (files.users), or, only for the demo outside
 * production, generated ones. Without either the API does not start: there is no default
 * password that could work in production.
 */
export async function resolveAccounts(cfg: SystemConfig, allowDemo: boolean): Promise<Accounts> {
  const file = usersFilePath(cfg);
  if (existsSync(file)) return { users: loadUsers(file), file };
  if (allowDemo && process.env.NODE_ENV !== 'production') {
    const demo = await demoAccounts();
    return { users: demo.users, passwords: demo.passwords };
  }
  throw new ConfigError(
    file,
    '',
    'no users file: create it (format: config/users.example.yaml, hashes: `cicenns users hash-password`)',
  );
}

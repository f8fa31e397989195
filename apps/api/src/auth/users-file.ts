import { existsSync } from 'node:fs';
import { ConfigError, loadYamlFile, type SystemConfig } from '@cicenns/model';
import { z } from 'zod';
import { PASSWORD_HASH, TOKEN_HASH } from '@cicenns/common';
import { ROLES, type Role } from './roles';

const userSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9._-]{0,31}$/, 'lower-case name, 1-32 of a-z 0-9 . _ -'),
    role: z.enum(ROLES),
    /** from `cicenns users hash-password`; omit for a token-only account */
    password: z
      .string()
      .regex(PASSWORD_HASH, 'must be a scrypt hash from `cicenns users hash-password`')
      .optional(),
    tokens: z
      .array(
        z
          .object({
            name: z.string().min(1),
            sha256: z.string().regex(TOKEN_HASH, 'must be the sha256 from `cicenns users new-token`'),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();

export const usersFileSchema = z
  .object({ users: z.array(userSchema) })
  .strict()
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    f.users.forEach((u, i) => {
      if (seen.has(u.name))
        ctx.addIssue({ code: 'custom', path: ['users', i, 'name'], message: `duplicate user "${u.name}"` });
      seen.add(u.name);
    });
  });

export interface UserAccount {
  name: string;
  role: Role;
  password?: string;
  tokens: { name: string; sha256: string }[];
}

/** files.users (loadSystemConfig resolved it against cicenns.yaml's directory). */
export function usersFilePath(cfg: SystemConfig): string {
  return cfg.app.files.users;
}

export function loadUsers(file: string): UserAccount[] {
  if (!existsSync(file)) {
    throw new ConfigError(
      file,
      '',
      'no users file: the API serves no one without accounts (see config/users.example.yaml)',
    );
  }
  return loadYamlFile(file, usersFileSchema).users;
}

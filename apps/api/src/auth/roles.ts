import { SetMetadata } from '@nestjs/common';

export const ROLES = ['viewer', 'shifter', 'expert', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Each role can do what the ones before it can. */
export function hasRole(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

export interface Principal {
  name: string;
  role: Role;
  /** a login session, or a long-lived API token from the users file */
  via: 'session' | 'token';
}

export const ROLE_KEY = 'cicenns:role';
export const AUDIT_KEY = 'cicenns:audit';

/** The least role a route needs (routes without it need 'viewer'). */
export const RequireRole = (role: Role) => SetMetadata(ROLE_KEY, role);
/** Open to anyone: login, health, metrics, the OpenAPI description. */
export const Public = () => SetMetadata(ROLE_KEY, 'public');
/** A control or alarm action: its refusals (401, 403, 400...) are written to the audit log too. */
export const Audited = (action: string) => SetMetadata(AUDIT_KEY, action);

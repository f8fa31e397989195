import type { Principal } from '../auth/roles';
import type { AuditLog } from './audit-log';

/** Who asks for an action through the API, from where, and what the audit log keeps of the request. */
export interface Actor {
  user: Principal;
  origin: string;
  /** the audited action (the route's `@Audited`) */
  action: string;
  /** the request's parameters as the audit log keeps them */
  params: unknown;
}

/**
 * Run an action another service carries out and record its success in the audit log, with who,
 * from where and a summary of the answer. A refusal throws and is recorded by the AuditFilter.
 */
export async function auditedAction<T>(
  audit: AuditLog,
  by: Actor,
  target: string,
  run: () => Promise<T>,
  summarize: (response: T) => string = (r) => JSON.stringify(r ?? null).slice(0, 1000),
): Promise<T> {
  const response = await run();
  audit.record({
    user: by.user.name,
    role: by.user.role,
    origin: by.origin,
    action: by.action,
    target,
    params: by.params,
    outcome: 'ok',
    detail: summarize(response),
  });
  return response;
}

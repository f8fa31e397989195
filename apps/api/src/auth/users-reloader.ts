import { BadRequestException } from '@nestjs/common';
import type { AuditLog } from '../audit/audit-log';
import type { AuthService } from './auth.service';
import type { Principal } from './roles';
import { loadUsers } from './users-file';

/** Re-reads the users file on an admin's request, audited; the demo's generated accounts have no file. */
export class UsersReloader {
  constructor(
    private readonly auth: AuthService,
    private readonly audit: AuditLog,
    readonly file: string | undefined,
  ) {}

  /** The number of users now; a refusal is audited by AuditFilter. */
  reload(by: Principal, origin: string): number {
    const users = this.read();
    this.audit.record({
      user: by.name,
      role: by.role,
      origin,
      action: 'users.reload',
      target: this.file ?? '',
      params: {},
      outcome: 'ok',
      detail: `${users} users`,
    });
    return users;
  }

  private read(): number {
    if (!this.file) throw new BadRequestException('the demo accounts come from no file: nothing to reload');
    try {
      const users = loadUsers(this.file);
      this.auth.setUsers(users);
      return users.length;
    } catch (err) {
      throw new BadRequestException(`users file not reloaded: ${(err as Error).message}`);
    }
  }
}

import { BadRequestException } from '@nestjs/common';
import type { AuthService } from './auth.service';
import { loadUsers } from './users-file';

/** Re-reads the users file on an admin's request; the demo's generated accounts have no file. */
export class UsersReloader {
  constructor(
    private readonly auth: AuthService,
    readonly file: string | undefined,
  ) {}

  reload(): number {
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

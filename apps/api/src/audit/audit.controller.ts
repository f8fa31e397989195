import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { RequireRole } from '../auth/roles';
import { ZodPipe, ZodQuery } from '../http/zod-pipe';
import { AuditLog } from './audit-log';

const auditQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(5000).default(100),
    action: z.string().max(64).optional(),
    user: z.string().max(64).optional(),
  })
  .strict();

@ApiTags('audit')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('api/audit')
export class AuditController {
  constructor(@Inject(AuditLog) private readonly audit: AuditLog) {}

  @Get()
  @RequireRole('expert')
  @ZodQuery(auditQuerySchema)
  @ApiOperation({ summary: 'The audit log, newest first (expert+)' })
  list(@Query(new ZodPipe(auditQuerySchema)) q: z.infer<typeof auditQuerySchema>) {
    return this.audit.list(q);
  }
}

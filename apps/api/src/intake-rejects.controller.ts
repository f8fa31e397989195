import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { RequireRole } from './auth/roles';
import { ZodPipe, ZodQuery } from './http/zod-pipe';
import { IntakeRejects } from './intake-rejects';

const rejectsQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }).strict();

/**
 * What the DAQ sent that the intake refused or could not handle. Behind a login (viewer+): the
 * shift crew tells the DAQ expert what arrives wrong; the public /api/health has counts only.
 * Payloads stay in the intake's dead-letter table on its host (deadLetterId names the row).
 */
@ApiTags('read')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('api/intake')
export class IntakeRejectsController {
  constructor(@Inject(IntakeRejects) private readonly rejects: IntakeRejects) {}

  @Get('rejects')
  @RequireRole('viewer')
  @ZodQuery(rejectsQuerySchema)
  @ApiOperation({
    summary:
      'The last DAQ messages the intake refused (reason, detail) or could not handle (internal_error, ' +
      'with its dead-letter row), newest first; topic and detail truncated (viewer+)',
  })
  list(@Query(new ZodPipe(rejectsQuerySchema)) q: z.infer<typeof rejectsQuerySchema>) {
    const r = this.rejects;
    return { received: r.received, bad: r.bad, capacity: r.capacity, rejects: r.latest(q.limit) };
  }
}

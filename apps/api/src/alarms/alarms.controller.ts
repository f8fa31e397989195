import {
  ALARM_ID_PATTERN,
  ackCommand,
  alarmIdSchema,
  alarmReasonSchema,
  disableCommand,
  type JournalQuery,
} from '@cicenns/contracts';
import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { auditParams } from '../audit/audit-filter';
import { originOf, type AuthedRequest } from '../auth/request-auth';
import { Audited, RequireRole } from '../auth/roles';
import { ZodBody, ZodPipe, ZodQuery } from '../http/zod-pipe';
import { AlarmsService, type AlarmActor } from './alarms.service';

// The HTTP bodies: the fields of the alarm commands (contracts), without who and from where
// (the login says that); a shelf is asked for in minutes, sent as an instant.
const ackSchema = ackCommand.pick({ alarmIds: true, comment: true });
const shelveSchema = z
  .object({ reason: alarmReasonSchema, minutes: z.number().int().min(1).max(720) })
  .strict();
const reasonSchema = disableCommand.pick({ reason: true });
const emptySchema = z.object({}).strict();
/** the query string of GET /api/alarms/journal: numbers come as text; at most 1000 events over HTTP */
const journalSchema = z
  .object({
    alarmId: alarmIdSchema.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    since: z.coerce.number().int().min(0).optional(),
  })
  .strict();

/** Alarms over HTTP: the states, the journal, and the actions (AlarmsService does them). */
@ApiTags('alarms')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('api/alarms')
export class AlarmsController {
  constructor(@Inject(AlarmsService) private readonly alarms: AlarmsService) {}

  @Get()
  @ApiOperation({
    summary: 'Every alarm: active and unacknowledged first, alarm before warning, oldest first',
  })
  list() {
    return this.alarms.list();
  }

  @Get('journal')
  @ZodQuery(journalSchema)
  @ApiOperation({ summary: 'Journal of alarm transitions (from the alarm service)' })
  journal(@Query(new ZodPipe(journalSchema)) q: z.infer<typeof journalSchema>) {
    return this.alarms.journal(q satisfies JournalQuery);
  }

  @Post('ack')
  @HttpCode(200)
  @RequireRole('shifter')
  @Audited('alarm.ack')
  @ZodBody(ackSchema)
  @ApiOperation({ summary: 'Acknowledge alarms (shifter+)' })
  ack(@Req() req: AuthedRequest, @Body(new ZodPipe(ackSchema)) b: z.infer<typeof ackSchema>) {
    return this.alarms.ack(actor(req), { alarmIds: b.alarmIds, comment: b.comment });
  }

  @Post(':id/shelve')
  @HttpCode(200)
  @RequireRole('shifter')
  @Audited('alarm.shelve')
  @ZodBody(shelveSchema)
  @ApiOperation({ summary: 'Shelve an alarm for 1..720 minutes, with a reason (shifter+)' })
  shelve(
    @Req() req: AuthedRequest,
    @Param('id') id: string,
    @Body(new ZodPipe(shelveSchema)) b: z.infer<typeof shelveSchema>,
  ) {
    return this.alarms.shelve(actor(req), checkId(id), b.reason, b.minutes);
  }

  @Post(':id/unshelve')
  @HttpCode(200)
  @RequireRole('shifter')
  @Audited('alarm.unshelve')
  @ApiOperation({ summary: 'Return a shelved alarm to service (shifter+)' })
  unshelve(@Req() req: AuthedRequest, @Param('id') id: string, @Body(new ZodPipe(emptySchema)) _b: object) {
    return this.alarms.unshelve(actor(req), checkId(id));
  }

  @Post(':id/disable')
  @HttpCode(200)
  @RequireRole('expert')
  @Audited('alarm.disable')
  @ZodBody(reasonSchema)
  @ApiOperation({ summary: 'Take an alarm out of service until enabled, with a reason (expert+)' })
  disable(
    @Req() req: AuthedRequest,
    @Param('id') id: string,
    @Body(new ZodPipe(reasonSchema)) b: z.infer<typeof reasonSchema>,
  ) {
    return this.alarms.disable(actor(req), checkId(id), b.reason);
  }

  @Post(':id/enable')
  @HttpCode(200)
  @RequireRole('expert')
  @Audited('alarm.enable')
  @ApiOperation({ summary: 'Return a disabled alarm to service (expert+)' })
  enable(@Req() req: AuthedRequest, @Param('id') id: string, @Body(new ZodPipe(emptySchema)) _b: object) {
    return this.alarms.enable(actor(req), checkId(id));
  }
}

/** Who asks, from where, the route's audited action and the request's parameters. */
function actor(req: AuthedRequest): AlarmActor {
  return { user: req.principal!, origin: originOf(req), action: req.auditAction!, params: auditParams(req) };
}

function checkId(id: string): string {
  if (!ALARM_ID_PATTERN.test(id))
    throw new BadRequestException(`id: "${id.slice(0, 50)}" is not an alarm id`);
  return id;
}

import {
  ALARM_ID_PATTERN,
  ackCommand,
  alarmIdSchema,
  alarmReasonSchema,
  disableCommand,
  MISSING_PARTITIONS_HEADER,
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
  Res,
} from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { auditParams } from '../audit/audit-filter';
import { originOf, type AuthedRequest } from '../auth/request-auth';
import { Audited, RequireRole } from '../auth/roles';
import type { HttpResponse } from '../http/http-types';
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

const JOURNAL_HEADERS = {
  [MISSING_PARTITIONS_HEADER]: {
    description: 'the alarm partitions that did not answer (absent: the journal is whole)',
    schema: { type: 'string', example: 'b' },
  },
};

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
  @ApiOperation({
    summary: 'Journal of alarm transitions (from the alarm service), newest first',
    description:
      'With the alarm service split into partitions (scaleOut.alarmPartitions) each partition is ' +
      `asked and the answers merged, \`limit\` over the whole. A partition that does not answer in ` +
      '5 s, or whose health says offline (not asked then), is left out and named in the ' +
      `${MISSING_PARTITIONS_HEADER} header (comma list of partition ids): ` +
      'the events of its alarms are missing from this answer. 503 only when no partition answers. ' +
      "One alarm's journal (`alarmId`) is asked of its owner only: 503 at once while that owner is offline.",
  })
  @ApiOkResponse({ description: 'an array of journal events', headers: JOURNAL_HEADERS })
  async journal(
    @Query(new ZodPipe(journalSchema)) q: z.infer<typeof journalSchema>,
    @Res({ passthrough: true }) res: HttpResponse,
  ) {
    const { events, missing } = await this.alarms.journal(q satisfies JournalQuery);
    if (missing.length) res.setHeader(MISSING_PARTITIONS_HEADER, missing.map((m) => m.partition).join(','));
    return events;
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

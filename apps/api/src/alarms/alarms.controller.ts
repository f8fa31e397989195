import {
  ALARM_ID_PATTERN,
  ackCommand,
  alarmIdSchema,
  alarmReasonSchema,
  disableCommand,
  Topics,
  type AckCommand,
  type DisableCommand,
  type EnableCommand,
  type JournalQuery,
  type ShelveCommand,
  type UnshelveCommand,
} from '@cicenns/contracts';
import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ApiState } from '../api-state';
import { AuditLog } from '../audit/audit-log';
import { auditParams } from '../audit/audit-filter';
import { originOf, type AuthedRequest } from '../auth/request-auth';
import { Audited, RequireRole } from '../auth/roles';
import { BusRpc, RpcUnavailable } from '../http/bus-rpc';
import { ZodBody, ZodPipe, ZodQuery } from '../http/zod-pipe';

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

/** A command as the API builds it: `act` adds who and from where. */
type Command<T> = Omit<T, 'user' | 'origin'>;

/** The alarm service's answer time before the API says it is unavailable. */
const ALARM_TIMEOUT_MS = 5000;

/**
 * Alarms: current states from the retained MQTT topics; actions and the journal through the
 * alarm service (MQTT request/response), each action audited with who and from where.
 */
@ApiTags('alarms')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('api/alarms')
export class AlarmsController {
  constructor(
    @Inject(ApiState) private readonly state: ApiState,
    @Inject(BusRpc) private readonly rpc: BusRpc,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Every alarm: active and unacknowledged first, alarm before warning, oldest first',
  })
  list() {
    return this.state.alarms.list();
  }

  @Get('journal')
  @ZodQuery(journalSchema)
  @ApiOperation({ summary: 'Journal of alarm transitions (from the alarm service)' })
  journal(@Query(new ZodPipe(journalSchema)) q: z.infer<typeof journalSchema>) {
    return this.call(Topics.alarms.query.journal, q satisfies JournalQuery);
  }

  @Post('ack')
  @HttpCode(200)
  @RequireRole('shifter')
  @Audited('alarm.ack')
  @ZodBody(ackSchema)
  @ApiOperation({ summary: 'Acknowledge alarms (shifter+)' })
  ack(@Req() req: AuthedRequest, @Body(new ZodPipe(ackSchema)) b: z.infer<typeof ackSchema>) {
    return this.act(req, Topics.alarms.cmd.ack, b.alarmIds.join(','), {
      alarmIds: b.alarmIds,
      comment: b.comment,
    } satisfies Command<AckCommand>);
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
    return this.act(req, Topics.alarms.cmd.shelve, checkId(id), {
      alarmId: id,
      reason: b.reason,
      until: Date.now() + b.minutes * 60_000,
    } satisfies Command<ShelveCommand>);
  }

  @Post(':id/unshelve')
  @HttpCode(200)
  @RequireRole('shifter')
  @Audited('alarm.unshelve')
  @ApiOperation({ summary: 'Return a shelved alarm to service (shifter+)' })
  unshelve(@Req() req: AuthedRequest, @Param('id') id: string, @Body(new ZodPipe(emptySchema)) _b: object) {
    return this.act(req, Topics.alarms.cmd.unshelve, checkId(id), {
      alarmId: id,
    } satisfies Command<UnshelveCommand>);
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
    return this.act(req, Topics.alarms.cmd.disable, checkId(id), {
      alarmId: id,
      reason: b.reason,
    } satisfies Command<DisableCommand>);
  }

  @Post(':id/enable')
  @HttpCode(200)
  @RequireRole('expert')
  @Audited('alarm.enable')
  @ApiOperation({ summary: 'Return a disabled alarm to service (expert+)' })
  enable(@Req() req: AuthedRequest, @Param('id') id: string, @Body(new ZodPipe(emptySchema)) _b: object) {
    return this.act(req, Topics.alarms.cmd.enable, checkId(id), {
      alarmId: id,
    } satisfies Command<EnableCommand>);
  }

  /** Forward an action with who and from where; audit its outcome (refusals: AuditFilter). */
  private async act(req: AuthedRequest, pattern: string, target: string, payload: Record<string, unknown>) {
    const user = req.principal!;
    const origin = originOf(req);
    const response = await this.call(pattern, { ...payload, user: user.name, origin });
    this.audit.record({
      user: user.name,
      role: user.role,
      origin,
      action: req.auditAction!,
      target,
      params: auditParams(req),
      outcome: 'ok',
      detail: JSON.stringify(response ?? null).slice(0, 1000),
    });
    return response;
  }

  private async call(pattern: string, data: unknown): Promise<unknown> {
    let response: unknown;
    try {
      response = await this.rpc.request<unknown>(pattern, data, ALARM_TIMEOUT_MS, 'the alarm service');
    } catch (err) {
      if (err instanceof RpcUnavailable) throw new ServiceUnavailableException(err.message);
      throw new ConflictException(`alarm service: ${(err as Error).message}`);
    }
    // one result, or one per alarm (ack): refused as a whole only when nothing was done
    type Result = { ok?: boolean; error?: unknown; reason?: unknown; alarmId?: string };
    const results = (Array.isArray(response) ? response : [response]) as (Result | null)[];
    const failed = results.filter((r) => r && typeof r === 'object' && r.ok === false) as Result[];
    if (results.length && failed.length === results.length) {
      const why = failed.map((r) => String(r.error ?? r.reason ?? 'refused')).join('; ');
      throw new ConflictException(`alarm service: ${why}`);
    }
    return response;
  }
}

function checkId(id: string): string {
  if (!ALARM_ID_PATTERN.test(id))
    throw new BadRequestException(`id: "${id.slice(0, 50)}" is not an alarm id`);
  return id;
}

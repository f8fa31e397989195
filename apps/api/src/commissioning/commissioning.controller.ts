import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { auditParams } from '../audit/audit-filter';
import { originOf, type AuthedRequest } from '../auth/request-auth';
import { Audited, RequireRole } from '../auth/roles';
import type { HttpResponse } from '../http/http-types';
import { ZodBody, ZodPipe, ZodQuery } from '../http/zod-pipe';
import { Views } from '../views';
import {
  checkRunId,
  confirmSchema,
  decideSchema,
  reportFormatSchema,
  reportsListSchema,
  runActionSchema,
  runsListSchema,
  startRunSchema,
  type ConfirmBody,
  type DecideBody,
  type RunActionBody,
  type StartRunBody,
} from './commissioning-dto';
import { CommissioningService, type CommissioningActor } from './commissioning.service';
import { sendReport } from './report-response';

const UNAVAILABLE = ' 503 with the reason when the commissioning service does not answer.';

/**
 * Commissioning runs over HTTP (the commissioning service does them): experts start, pause,
 * resume, abort, confirm manual items and approve or reject the proposed calibrations; everyone
 * logged in watches.
 */
@ApiTags('commissioning')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('api/commissioning')
export class CommissioningController {
  constructor(@Inject(CommissioningService) private readonly svc: CommissioningService) {}

  @Get('procedures')
  @ApiOperation({
    summary: 'The procedures of the procedures file: their steps and parameters per tube type',
    description: UNAVAILABLE,
  })
  procedures() {
    return this.svc.procedures();
  }

  @Get('runs')
  @ZodQuery(runsListSchema)
  @ApiOperation({ summary: 'Runs, newest first, without their PMTs (RunSummary)', description: UNAVAILABLE })
  runs(@Query(new ZodPipe(runsListSchema)) q: z.infer<typeof runsListSchema>) {
    return this.svc.runs(q.limit);
  }

  @Get('runs/:id')
  @ApiOperation({
    summary:
      "A run: each PMT's steps with state, progress, the live value, checks, scan points, fit, proposal",
    description: `404 for an unknown run.${UNAVAILABLE}`,
  })
  run(@Param('id') id: string) {
    return this.svc.run(checkRunId(id));
  }

  @Post('runs')
  @HttpCode(201)
  @RequireRole('expert')
  @Audited('commissioning.start')
  @ZodBody(
    startRunSchema,
    'target: a PMT, a crystal or panel, crystals, veto, all, or a list; confirmations: manual items done ' +
      '(a name: by you; or {item, by})',
  )
  @ApiOperation({
    summary: 'Start a run (expert+)',
    description:
      '409 when a PMT of the target is in an active run (named), an unknown procedure or target, or a ' +
      `voltage of the procedure above a PMT's vmax: nothing is applied then.${UNAVAILABLE}`,
  })
  start(@Req() req: AuthedRequest, @Body(new ZodPipe(startRunSchema)) b: StartRunBody) {
    const by = actor(req);
    return this.svc.start(by, {
      target: b.target,
      procedure: b.procedure,
      comment: b.comment,
      confirmations: b.confirmations?.map((c) => (typeof c === 'string' ? { item: c, by: by.user.name } : c)),
    });
  }

  @Post('runs/:id/pause')
  @HttpCode(200)
  @RequireRole('expert')
  @Audited('commissioning.pause')
  @ZodBody(runActionSchema)
  @ApiOperation({
    summary:
      'Pause: PMTs stop before their next HV change or measurement; channels keep their voltage (expert+)',
  })
  pause(
    @Req() req: AuthedRequest,
    @Param('id') id: string,
    @Body(new ZodPipe(runActionSchema)) b: RunActionBody,
  ) {
    return this.svc.control(actor(req), 'pause', { runId: checkRunId(id), comment: b.comment });
  }

  @Post('runs/:id/resume')
  @HttpCode(200)
  @RequireRole('expert')
  @Audited('commissioning.resume')
  @ZodBody(runActionSchema)
  @ApiOperation({ summary: 'Resume a paused run (expert+)' })
  resume(
    @Req() req: AuthedRequest,
    @Param('id') id: string,
    @Body(new ZodPipe(runActionSchema)) b: RunActionBody,
  ) {
    return this.svc.control(actor(req), 'resume', { runId: checkRunId(id), comment: b.comment });
  }

  @Post('runs/:id/abort')
  @HttpCode(200)
  @RequireRole('expert')
  @Audited('commissioning.abort')
  @ZodBody(runActionSchema)
  @ApiOperation({ summary: 'Abort: every PMT of the run stops and its channel is ramped off (expert+)' })
  abort(
    @Req() req: AuthedRequest,
    @Param('id') id: string,
    @Body(new ZodPipe(runActionSchema)) b: RunActionBody,
  ) {
    return this.svc.control(actor(req), 'abort', { runId: checkRunId(id), comment: b.comment });
  }

  @Post('runs/:id/confirm')
  @HttpCode(200)
  @RequireRole('expert')
  @Audited('commissioning.confirm')
  @ZodBody(confirmSchema)
  @ApiOperation({ summary: 'Confirm manual items (cables checked, light-tight...) in your name (expert+)' })
  confirm(
    @Req() req: AuthedRequest,
    @Param('id') id: string,
    @Body(new ZodPipe(confirmSchema)) b: ConfirmBody,
  ) {
    return this.svc.confirm(actor(req), { runId: checkRunId(id), items: b.items, comment: b.comment });
  }

  @Post('runs/:id/approve')
  @HttpCode(200)
  @RequireRole('expert')
  @Audited('commissioning.approve')
  @ZodBody(decideSchema, 'pmts: only these (default: every proposal of the run); comment: required')
  @ApiOperation({
    summary:
      'Approve proposed calibrations: in force at once for the alarms, the previous version kept (expert+)',
    description:
      'The HV setpoint is not changed: apply the proposal’s hvV through POST /api/hv/preview and apply.',
  })
  approve(
    @Req() req: AuthedRequest,
    @Param('id') id: string,
    @Body(new ZodPipe(decideSchema)) b: DecideBody,
  ) {
    return this.svc.decide(actor(req), 'approve', {
      runId: checkRunId(id),
      pmts: b.pmts,
      comment: b.comment,
    });
  }

  @Post('runs/:id/reject')
  @HttpCode(200)
  @RequireRole('expert')
  @Audited('commissioning.reject')
  @ZodBody(decideSchema, 'pmts: only these (default: every proposal of the run); comment: required')
  @ApiOperation({ summary: 'Reject proposed calibrations, with the reason (expert+)' })
  reject(@Req() req: AuthedRequest, @Param('id') id: string, @Body(new ZodPipe(decideSchema)) b: DecideBody) {
    return this.svc.decide(actor(req), 'reject', { runId: checkRunId(id), pmts: b.pmts, comment: b.comment });
  }

  @Get('runs/:id/report')
  @ZodQuery(reportFormatSchema)
  @ApiOkResponse({
    description: 'HTML inline (strict CSP: no script, nothing loaded), Markdown as an attachment',
    content: {
      'text/html': { schema: { type: 'string' } },
      'text/markdown': { schema: { type: 'string' } },
    },
  })
  @ApiOperation({
    summary: 'The run’s report: self-contained HTML (prints well) or Markdown, as a file',
    description: `404 for an unknown run.${UNAVAILABLE}`,
  })
  async report(
    @Param('id') id: string,
    @Query(new ZodPipe(reportFormatSchema)) q: z.infer<typeof reportFormatSchema>,
    @Res() res: HttpResponse,
  ): Promise<void> {
    sendReport(res, await this.svc.report(checkRunId(id), q.format));
  }

  @Get('reports')
  @ZodQuery(reportsListSchema)
  @ApiOperation({
    summary: 'Stored reports (of one run with ?runId=): run, format, when generated, size',
    description: UNAVAILABLE,
  })
  reports(@Query(new ZodPipe(reportsListSchema)) q: z.infer<typeof reportsListSchema>) {
    return this.svc.reports(q.runId);
  }
}

/** A PMT's calibration versions (GET /api/pmts/:id/calibrations), from the commissioning service. */
@ApiTags('commissioning')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('api/pmts')
export class CalibrationsController {
  constructor(
    @Inject(CommissioningService) private readonly svc: CommissioningService,
    @Inject(Views) private readonly views: Views,
  ) {}

  @Get(':id/calibrations')
  @ApiOperation({
    summary: 'A PMT’s calibration history: every version (datasheet seed, approved, proposed and rejected)',
    description: `404 for a PMT not in the detector inventory.${UNAVAILABLE}`,
  })
  calibrations(@Param('id') id: string) {
    if (!this.views.pmt(id))
      throw new NotFoundException(`no PMT "${id.slice(0, 50)}" in the detector inventory`);
    return this.svc.calibrations(id);
  }
}

/** Who asks, from where, the route's audited action and the request's parameters. */
function actor(req: AuthedRequest): CommissioningActor {
  return { user: req.principal!, origin: originOf(req), action: req.auditAction!, params: auditParams(req) };
}

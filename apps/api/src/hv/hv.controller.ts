import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { originOf, type AuthedRequest } from '../auth/request-auth';
import { Audited, RequireRole } from '../auth/roles';
import { ZodBody, ZodPipe } from '../http/zod-pipe';
import { hvApplySchema, hvPreviewSchema, type HvApplyRequest, type HvPreviewRequest } from './hv-dto';
import { HvService } from './hv.service';

/** HV control (expert+): preview, then apply what was previewed. */
@ApiTags('hv')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller('api/hv')
export class HvController {
  constructor(@Inject(HvService) private readonly hv: HvService) {}

  @Post('preview')
  @HttpCode(200)
  @RequireRole('expert')
  @Audited('hv.preview')
  @ZodBody(hvPreviewSchema, 'target: exactly one of pmts, crystal, panel, group; set: at least one value')
  @ApiOperation({
    summary: 'What a change would do to each channel, and what is refused and why (expert+)',
    description:
      'Refusals: above vmax/imax, ramp above rampMaxVps, interlock, no recent good reading. ' +
      'The preview is valid for auth.hvPreviewTtlSeconds and only for its author.',
  })
  preview(@Req() req: AuthedRequest, @Body(new ZodPipe(hvPreviewSchema)) body: HvPreviewRequest) {
    return this.hv.preview(req.principal!, originOf(req), body);
  }

  @Post('apply')
  @HttpCode(200)
  @RequireRole('expert')
  @Audited('hv.apply')
  @ZodBody(hvApplySchema)
  @ApiOperation({
    summary: 'Apply a preview: channel after channel through the poller, every write read back (expert+)',
    description:
      '409 if any change is now refused (unless partial: true). Stops at the first failed channel; ' +
      'every channel is reported (ok, read-back values, error). Ramp progress: SSE hv-progress.',
  })
  apply(@Req() req: AuthedRequest, @Body(new ZodPipe(hvApplySchema)) body: HvApplyRequest) {
    return this.hv.apply(req.principal!, originOf(req), body);
  }

  @Get('operations/:id')
  @RequireRole('expert')
  @ApiOperation({ summary: 'An HV operation: its results and the ramp progress of each channel' })
  operation(@Param('id') id: string) {
    return this.hv.operation(id);
  }
}

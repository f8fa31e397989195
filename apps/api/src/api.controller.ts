import { Controller, Get, Header, Inject, NotFoundException, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import { ApiBus } from './api-bus';
import { Public } from './auth/roles';
import { Views } from './views';

/** Read-only views of the live state (viewer+; health and metrics are public). */
@ApiTags('read')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller()
export class ApiController {
  constructor(
    @Inject(Views) private readonly views: Views,
    @Inject(ApiBus) private readonly bus: ApiBus,
    @Inject(Registry) private readonly metricsRegistry: Registry,
  ) {}

  @Get('api/health')
  @Public()
  @ApiOperation({ summary: 'Each service and connection with its state (public)' })
  health() {
    return this.views.health(this.bus.connected);
  }

  @Get('api/pmts')
  @ApiOperation({ summary: 'All 94 PMTs with their latest values, each with timestamp and quality' })
  pmts() {
    return this.views.pmts();
  }

  @Get('api/pmts/:id')
  @ApiOperation({ summary: 'One PMT' })
  pmt(@Param('id') id: string) {
    const p = this.views.pmt(id);
    if (!p) throw new NotFoundException(`no PMT "${id}" in the detector inventory`);
    return p;
  }

  @Get('api/sensors')
  @ApiOperation({ summary: 'Temperature sensors with their latest values' })
  sensors() {
    return this.views.sensors();
  }

  @Get('api/beam')
  @ApiOperation({ summary: 'The latest beam status (null before the first)' })
  beam() {
    return this.views.beam();
  }

  @Get('api/detector')
  @ApiOperation({
    summary: 'Crystals and veto panels with their PMTs (HV channel, limits), sensors: for the map',
  })
  detector() {
    return this.views.detector();
  }

  @Get('metrics')
  @Public()
  @ApiExcludeEndpoint()
  @Header('Content-Type', 'text/plain; version=0.0.4')
  metrics(): Promise<string> {
    return this.metricsRegistry.metrics();
  }
}

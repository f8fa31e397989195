import { Controller, Get, Header, Inject, NotFoundException, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Registry } from 'prom-client';
import { ApiState } from './api-state';
import { Public } from './auth/roles';

/** Read-only views of the live state (viewer+; health and metrics are public). */
@ApiTags('read')
@ApiBearerAuth()
@ApiCookieAuth()
@Controller()
export class ApiController {
  constructor(@Inject(ApiState) private readonly state: ApiState) {}

  @Get('api/health')
  @Public()
  @ApiOperation({ summary: 'Each service and connection with its state (public)' })
  health() {
    return this.state.views.health(this.state.mqtt.connected);
  }

  @Get('api/pmts')
  @ApiOperation({ summary: 'All 94 PMTs with their latest values, each with timestamp and quality' })
  pmts() {
    return this.state.views.pmts();
  }

  @Get('api/pmts/:id')
  @ApiOperation({ summary: 'One PMT' })
  pmt(@Param('id') id: string) {
    const p = this.state.views.pmt(id);
    if (!p) throw new NotFoundException(`no PMT "${id}" in the detector inventory`);
    return p;
  }

  @Get('api/sensors')
  @ApiOperation({ summary: 'Temperature sensors with their latest values' })
  sensors() {
    return this.state.views.sensors();
  }

  @Get('api/beam')
  @ApiOperation({ summary: 'The latest beam status (null before the first)' })
  beam() {
    return this.state.views.beam();
  }

  @Get('api/detector')
  @ApiOperation({
    summary: 'Crystals and veto panels with their PMTs (HV channel, limits), sensors: for the map',
  })
  detector() {
    return this.state.views.detector();
  }

  @Get('metrics')
  @Public()
  @ApiExcludeEndpoint()
  @Header('Content-Type', 'text/plain; version=0.0.4')
  metrics(): Promise<string> {
    return (this.state.metrics as Registry).metrics();
  }
}

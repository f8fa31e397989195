import { Controller, Get, Header, Inject, NotFoundException, Param } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { ApiState } from './api-state';

@Controller()
export class ApiController {
  constructor(@Inject(ApiState) private readonly state: ApiState) {}

  /** Each service and connection with its state. */
  @Get('api/health')
  health() {
    return this.state.views.health(this.state.mqtt.connected);
  }

  /** All 94 PMTs with their latest values, each with timestamp and quality. */
  @Get('api/pmts')
  pmts() {
    return this.state.views.pmts();
  }

  @Get('api/pmts/:id')
  pmt(@Param('id') id: string) {
    const p = this.state.views.pmt(id);
    if (!p) throw new NotFoundException(`no PMT "${id}" in the detector inventory`);
    return p;
  }

  @Get('api/sensors')
  sensors() {
    return this.state.views.sensors();
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  metrics(): Promise<string> {
    return (this.state.metrics as Registry).metrics();
  }
}

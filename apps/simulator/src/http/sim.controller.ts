import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  NotFoundException,
  Param,
  Post,
} from '@nestjs/common';
import { FaultError, FaultRegistry } from '../faults/fault-registry';
import { DetectorSim } from '../physics/detector-sim';

/** Fault injection and the simulator's true state, as JSON. */
@Controller('api/sim')
export class SimController {
  constructor(
    private readonly faults: FaultRegistry,
    private readonly sim: DetectorSim,
  ) {}

  @Post('faults')
  addFault(@Body() body: unknown) {
    try {
      return this.faults.add(body);
    } catch (err) {
      if (err instanceof FaultError) throw new BadRequestException({ statusCode: 400, reason: err.message });
      throw err;
    }
  }

  @Get('faults')
  listFaults() {
    return this.faults.list();
  }

  @Delete('faults')
  clearFaults() {
    return { cleared: this.faults.clear().map((f) => f.id) };
  }

  @Delete('faults/:id')
  removeFault(@Param('id') id: string) {
    const f = this.faults.remove(id);
    if (!f) throw new NotFoundException({ statusCode: 404, reason: `no fault "${id}"` });
    return { removed: f.id, fault: f };
  }

  @Get('truth')
  truth() {
    return this.sim.truth(Date.now());
  }
}

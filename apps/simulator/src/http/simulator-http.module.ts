import { Module, type DynamicModule } from '@nestjs/common';
import { FaultRegistry } from '../faults/fault-registry';
import { DetectorSim } from '../physics/detector-sim';
import { SimController } from './sim.controller';

/** The simulator's HTTP API around a running simulation (mountable in another Nest app). */
@Module({})
export class SimulatorModule {
  static forSimulation(sim: DetectorSim, faults: FaultRegistry): DynamicModule {
    return {
      module: SimulatorModule,
      controllers: [SimController],
      providers: [
        { provide: DetectorSim, useValue: sim },
        { provide: FaultRegistry, useValue: faults },
      ],
    };
  }
}

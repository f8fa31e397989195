import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Topics } from '@cicenns/bus';
import type { RawDaqMessage } from './daq-mqtt.server';
import { IntakeService } from './intake.service';

/** The DAQ topics of SPEC 2.3. The patterns do not overlap (Nest takes the first match). */
@Controller()
export class IntakeController {
  constructor(private readonly intake: IntakeService) {}

  @EventPattern(Topics.daq.pmtDcr)
  pmtDcr(@Payload() m: RawDaqMessage): void {
    this.intake.handle(m.topic, m.payload);
  }

  @EventPattern(Topics.daq.sweepDcr)
  sweepDcr(@Payload() m: RawDaqMessage): void {
    this.intake.handle(m.topic, m.payload);
  }

  @EventPattern(Topics.daq.pmtGain)
  gain(@Payload() m: RawDaqMessage): void {
    this.intake.handle(m.topic, m.payload);
  }

  @EventPattern(Topics.daq.coincidence)
  coincidence(@Payload() m: RawDaqMessage): void {
    this.intake.handle(m.topic, m.payload);
  }

  @EventPattern(Topics.daq.beam)
  beam(@Payload() m: RawDaqMessage): void {
    this.intake.handle(m.topic, m.payload);
  }
}

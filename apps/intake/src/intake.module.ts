import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { nestMqttOptions } from '@cicenns/bus';
import { describeError, nestLogger, serviceLogger, type RunningService } from '@cicenns/common';
import { Topics } from '@cicenns/contracts';
import { SYSTEM_CONFIG, type SystemConfig } from '@cicenns/model';
import { DaqMqttServer } from './daq-mqtt.server';
import { IntakeService } from './intake.service';

@Module({})
export class IntakeModule {
  static forConfig(cfg: SystemConfig): DynamicModule {
    return {
      module: IntakeModule,
      providers: [{ provide: SYSTEM_CONFIG, useValue: cfg }, IntakeService],
    };
  }
}

/** Everything under the DAQ's trees (SPEC 2.3); the validator sorts out what is not the contract. */
const DAQ_TOPICS = Topics.daqIntake;

export interface Intake extends RunningService {
  /** resolves at the broker's first acknowledgement of the DAQ subscriptions */
  readonly subscribed: Promise<void>;
}

/**
 * The intake, inside a Nest microservice on the MQTT transport: QoS 1 subscriptions, a fixed
 * client id and a persistent session (clean: false), so messages published while it is down are
 * kept by the broker and delivered when it is back. Resolves once the DAQ topics are subscribed,
 * or at once with intake.requireHistorian (they are subscribed once the historian's session
 * exists: await `subscribed` for that).
 */
export async function startIntake(cfg: SystemConfig): Promise<Intake> {
  const { mqtt } = cfg.app;
  const { ackWindow, ackIdleMs, batchMaxDelayMs } = cfg.app.intake;
  const server = new DaqMqttServer(nestMqttOptions(mqtt, 'intake', 'server'), {
    window: ackWindow,
    idleMs: ackIdleMs,
    maxDelayMs: batchMaxDelayMs,
  });
  const app = await NestFactory.createMicroservice(IntakeModule.forConfig(cfg), {
    strategy: server,
    logger: nestLogger('intake'),
  });
  const service = app.get(IntakeService);
  server.deliverTo(service, DAQ_TOPICS);
  let stopped = false;
  // app.close() drains the acknowledgements (DaqMqttServer.close), then runs the service's
  // shutdown hook (flush, health offline, disconnect). Signals are runMain's, not Nest's.
  const intake: Intake = {
    subscribed: service.subscribed,
    stop: async () => {
      stopped = true;
      await app.close();
    },
  };
  if (!cfg.app.intake.requireHistorian) {
    await app.listen();
    await service.subscribed; // ready only once the broker holds the DAQ's messages for us
    return intake;
  }
  // The DAQ connection (our persistent session) is opened only once the historian's session
  // exists: until then the broker keeps the DAQ's messages for us, and we acknowledge nothing
  // that nobody would store. Health and the publisher connect at once (health says we wait).
  void service.whenHistorianKnown().then(async () => {
    if (stopped) return;
    try {
      await app.listen();
    } catch (e) {
      serviceLogger('intake').error(`could not start the DAQ connection: ${describeError(e)}`);
    }
  });
  return intake;
}

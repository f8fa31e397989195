import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { INestMicroservice } from '@nestjs/common';
import { nestMqttOptions } from '@cicenns/bus';
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

/**
 * The intake as a Nest microservice on the MQTT transport: QoS 1 subscriptions, a fixed client
 * id and a persistent session (clean: false), so messages published while it is down are kept
 * by the broker and delivered when it is back.
 */
export async function startIntake(cfg: SystemConfig): Promise<INestMicroservice> {
  const { mqtt } = cfg.app;
  const { ackWindow, ackIdleMs, batchMaxDelayMs } = cfg.app.intake;
  const server = new DaqMqttServer(nestMqttOptions(mqtt, 'intake', 'server'), {
    window: ackWindow,
    idleMs: ackIdleMs,
    maxDelayMs: batchMaxDelayMs,
  });
  const app = await NestFactory.createMicroservice(IntakeModule.forConfig(cfg), {
    strategy: server,
    logger: ['log', 'warn', 'error'],
  });
  const service = app.get(IntakeService);
  server.deliverTo(service, DAQ_TOPICS);
  app.enableShutdownHooks();
  if (!cfg.app.intake.requireHistorian) {
    await app.listen();
    await service.subscribed; // ready only once the broker holds the DAQ's messages for us
    return app;
  }
  // The DAQ connection (our persistent session) is opened only once the historian's session
  // exists: until then the broker keeps the DAQ's messages for us, and we acknowledge nothing
  // that nobody would store. Health and the publisher connect at once (health says we wait).
  let closed = false;
  const close = app.close.bind(app);
  app.close = async () => {
    closed = true;
    await close();
  };
  void service.whenHistorianKnown().then(async () => {
    if (closed) return;
    try {
      await app.listen();
    } catch (e) {
      process.stderr.write(`intake: could not start the DAQ connection: ${(e as Error).stack ?? e}\n`);
    }
  });
  return app;
}

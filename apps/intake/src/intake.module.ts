import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { INestMicroservice } from '@nestjs/common';
import { nestMqttOptions, Topics } from '@cicenns/bus';
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
  server.deliverTo(app.get(IntakeService), DAQ_TOPICS);
  app.enableShutdownHooks();
  await app.listen();
  await server.subscribed; // ready only once the broker holds the DAQ's messages for us
  app.get(IntakeService).reportHealth();
  return app;
}

import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { INestMicroservice } from '@nestjs/common';
import { nestMqttOptions } from '@cicenns/bus';
import { SYSTEM_CONFIG, type SystemConfig } from '@cicenns/model';
import { DaqMqttServer } from './daq-mqtt.server';
import { IntakeController } from './intake.controller';
import { IntakeService } from './intake.service';

@Module({})
export class IntakeModule {
  static forConfig(cfg: SystemConfig): DynamicModule {
    return {
      module: IntakeModule,
      controllers: [IntakeController],
      providers: [{ provide: SYSTEM_CONFIG, useValue: cfg }, IntakeService],
    };
  }
}

/**
 * The intake as a Nest microservice on the MQTT transport: QoS 1 subscriptions, a fixed client
 * id and a persistent session (clean: false), so messages published while it is down are kept
 * by the broker and delivered when it is back.
 */
export async function startIntake(cfg: SystemConfig): Promise<INestMicroservice> {
  const { mqtt } = cfg.app;
  const app = await NestFactory.createMicroservice(IntakeModule.forConfig(cfg), {
    strategy: new DaqMqttServer(nestMqttOptions(mqtt, 'intake', 'server')),
    logger: ['log', 'warn', 'error'],
  });
  app.enableShutdownHooks();
  await app.listen();
  return app;
}

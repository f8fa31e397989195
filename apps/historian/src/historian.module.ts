import {
  Inject,
  Module,
  type DynamicModule,
  type INestApplicationContext,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SYSTEM_CONFIG, type SystemConfig } from '@cicenns/model';
import { Historian } from './historian.service';

@Module({})
export class HistorianModule implements OnApplicationShutdown {
  constructor(@Inject(Historian) private readonly historian: Historian) {}

  static forConfig(cfg: SystemConfig): DynamicModule {
    return {
      module: HistorianModule,
      providers: [
        { provide: SYSTEM_CONFIG, useValue: cfg },
        {
          provide: Historian,
          useFactory: (c: SystemConfig) => new Historian(c).start(),
          inject: [SYSTEM_CONFIG],
        },
      ],
      exports: [Historian],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.historian.stop();
  }
}

export async function startHistorian(cfg: SystemConfig): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(HistorianModule.forConfig(cfg), {
    logger: ['log', 'warn', 'error'],
  });
  // ready only once the broker holds readings for us (a first start has no session before it)
  await app.get(Historian).subscribed;
  return app;
}

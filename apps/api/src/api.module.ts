import {
  Inject,
  Module,
  type DynamicModule,
  type INestApplication,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { SystemConfig } from '@cicenns/model';
import { ApiController } from './api.controller';
import { ApiState } from './api-state';

@Module({})
export class ApiModule implements OnApplicationShutdown {
  constructor(@Inject(ApiState) private readonly state: ApiState) {}

  static forConfig(cfg: SystemConfig): DynamicModule {
    return {
      module: ApiModule,
      controllers: [ApiController],
      providers: [{ provide: ApiState, useFactory: () => new ApiState(cfg) }],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.state.close();
  }
}

/** The HTTP API on api.host:api.port (PORT overrides); resolves with the app and its URL. */
export async function startApi(cfg: SystemConfig): Promise<{ app: INestApplication; url: string }> {
  const app = await NestFactory.create(ApiModule.forConfig(cfg), { logger: ['log', 'warn', 'error'] });
  await app.listen(cfg.app.api.port, cfg.app.api.host);
  const addr = app.getHttpServer().address() as { port: number };
  return { app, url: `http://${cfg.app.api.host}:${addr.port}` };
}

import {
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { loadSystemConfig, type SystemConfig } from '@cicenns/model';
import { PollerService, type PollerOptions } from './poller.service';

/** Nest lifecycle around PollerService: start on bootstrap, stop on shutdown (SIGTERM). */
class PollerLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(readonly service: PollerService) {}

  onApplicationBootstrap(): Promise<void> {
    return this.service.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.service.stop();
  }
}

@Module({})
export class PollerModule {
  /** The poller for `config` (default: loadSystemConfig(), i.e. $CICENNS_CONFIG). */
  static forRoot(config?: SystemConfig, options: PollerOptions = {}): DynamicModule {
    return {
      module: PollerModule,
      providers: [
        {
          provide: PollerService,
          useFactory: () => new PollerService(config ?? loadSystemConfig(), options),
        },
        {
          provide: PollerLifecycle,
          useFactory: (s: PollerService) => new PollerLifecycle(s),
          inject: [PollerService],
        },
      ],
      exports: [PollerService],
    };
  }
}

export interface PollerHandle {
  service: PollerService;
  stop(): Promise<void>;
}

/** Run the poller in-process without a Nest context (the all-in-one demo). */
export async function startPoller(config: SystemConfig, options: PollerOptions = {}): Promise<PollerHandle> {
  const service = new PollerService(config, options);
  await service.start();
  return { service, stop: () => service.stop() };
}

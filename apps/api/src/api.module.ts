import {
  Inject,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type INestApplication,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { APP_GUARD, NestFactory, Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { SystemConfig } from '@cicenns/model';
import { AlarmsController } from './alarms/alarms.controller';
import { ApiController } from './api.controller';
import { ApiState } from './api-state';
import { AuditController } from './audit/audit.controller';
import { AuditFilter } from './audit/audit-filter';
import { AuditLog } from './audit/audit-log';
import { AuthController } from './auth/auth.controller';
import { AuthGuard } from './auth/auth.guard';
import { AuthService } from './auth/auth.service';
import type { UserAccount } from './auth/users-file';
import { UsersReloader } from './auth/users-reloader';
import { BusRpc } from './http/bus-rpc';
import { setupOpenApi } from './http/openapi';
import { serveConsole } from './http/console-static';
import { HvController } from './hv/hv.controller';
import { HvService } from './hv/hv.service';
import { RampWatcher } from './hv/ramp-watcher';
import { EventHub } from './live/event-hub';
import { EventsController } from './live/events.controller';
import { TrendsController } from './trends/trends.controller';
import { TrendsService } from './trends/trends.service';
import { resolveAccounts, type Accounts } from './auth/accounts';

@Module({})
export class ApiModule implements BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(ApiState) private readonly state: ApiState,
    @Inject(BusRpc) private readonly rpc: BusRpc,
    @Inject(EventHub) private readonly hub: EventHub,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {}

  static forConfig(cfg: SystemConfig, accounts: { users: UserAccount[]; file?: string }): DynamicModule {
    return {
      module: ApiModule,
      controllers: [
        ApiController,
        AuthController,
        AlarmsController,
        HvController,
        EventsController,
        TrendsController,
        AuditController,
      ],
      providers: [
        { provide: ApiState, useFactory: () => new ApiState(cfg) },
        { provide: AuditLog, useFactory: () => new AuditLog(cfg.app.auth.auditPath) },
        {
          provide: AuthService,
          useFactory: () => new AuthService(accounts.users, cfg.app.auth.sessionTtlMinutes * 60_000),
        },
        {
          provide: UsersReloader,
          useFactory: (a: AuthService) => new UsersReloader(a, accounts.file),
          inject: [AuthService],
        },
        { provide: BusRpc, useFactory: () => new BusRpc(cfg) },
        {
          provide: EventHub,
          useFactory: (s: ApiState, a: AuthService) => new EventHub(s, a),
          inject: [ApiState, AuthService],
        },
        {
          provide: RampWatcher,
          useFactory: (s: ApiState, hub: EventHub) => {
            const w = new RampWatcher((p) => hub.emit('hv-progress', p));
            s.cache.onReadings((r) => w.onReadings(r));
            return w;
          },
          inject: [ApiState, EventHub],
        },
        {
          provide: HvService,
          useFactory: (s: ApiState, rpc: BusRpc, audit: AuditLog, ramps: RampWatcher) =>
            new HvService(cfg, s, rpc, audit, ramps),
          inject: [ApiState, BusRpc, AuditLog, RampWatcher],
        },
        { provide: TrendsService, useFactory: () => new TrendsService(cfg) },
        {
          provide: APP_GUARD,
          useFactory: (r: Reflector, a: AuthService) => new AuthGuard(r, a),
          inject: [Reflector, AuthService],
        },
      ],
    };
  }

  /** Event streams never end by themselves: end them before Nest waits for the HTTP server to close. */
  beforeApplicationShutdown(): void {
    this.hub.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.rpc.close();
    await this.state.close();
    this.audit.close();
  }
}

export interface ApiOptions {
  /**
   * Without a users file: generate one account per role with random passwords (returned, for the
   * demo to print). Refused when NODE_ENV is production.
   */
  demoAccounts?: boolean;
}

/** The HTTP API on api.host:api.port (PORT overrides); resolves with the app and its URL. */
export async function startApi(
  cfg: SystemConfig,
  opts: ApiOptions = {},
): Promise<{ app: INestApplication; url: string; demoPasswords?: Accounts['passwords'] }> {
  const accounts = await resolveAccounts(cfg, opts.demoAccounts === true);
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forConfig(cfg, accounts), {
    logger: ['log', 'warn', 'error'],
  });
  app.useGlobalFilters(new AuditFilter(app.get(AuditLog), app.getHttpAdapter()));
  setupOpenApi(app);
  serveConsole(app);
  await app.listen(cfg.app.api.port, cfg.app.api.host);
  const addr = app.getHttpServer().address() as { port: number };
  return { app, url: `http://${cfg.app.api.host}:${addr.port}`, demoPasswords: accounts.passwords };
}

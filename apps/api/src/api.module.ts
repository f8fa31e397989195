import {
  BadRequestException,
  Inject,
  Logger,
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
import { IntakeRejectsController } from './intake-rejects.controller';
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
import { EventTickets } from './live/event-tickets';
import { EventsController } from './live/events.controller';
import { bodyShapeProblem } from './http/body-shape';
import { answerClientErrorsAsJson } from './http/client-errors';
import { bodyParserError } from './http/error-response';
import type { HttpRequest } from './http/http-types';
import { requestContextMiddleware } from './http/request-context';
import { requestPolicy } from './http/request-policy';
import { routeTable } from './http/route-table';
import { securityHeaders } from './http/security-headers';
import { TrendsController } from './trends/trends.controller';
import { TrendsService } from './trends/trends.service';
import { resolveAccounts, type Accounts } from './auth/accounts';

/** Every controller of the API (the route table and tests read their metadata). */
export const CONTROLLERS = [
  ApiController,
  AuthController,
  AlarmsController,
  HvController,
  EventsController,
  TrendsController,
  AuditController,
  IntakeRejectsController,
];

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
      controllers: CONTROLLERS,
      providers: [
        { provide: ApiState, useFactory: () => new ApiState(cfg) },
        { provide: AuditLog, useFactory: () => new AuditLog(cfg.app.auth.auditPath) },
        {
          provide: AuthService,
          useFactory: () =>
            new AuthService(
              accounts.users,
              cfg.app.auth.sessionTtlMinutes * 60_000,
              cfg.app.auth.loginThrottle,
            ),
        },
        { provide: EventTickets, useFactory: () => new EventTickets() },
        {
          provide: UsersReloader,
          useFactory: (a: AuthService) => new UsersReloader(a, accounts.file),
          inject: [AuthService],
        },
        { provide: BusRpc, useFactory: () => new BusRpc(cfg) },
        {
          provide: EventHub,
          useFactory: (s: ApiState, a: AuthService) =>
            new EventHub(s, a, {
              total: cfg.app.api.maxEventStreams,
              perUser: cfg.app.api.maxEventStreamsPerUser,
            }),
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
          useFactory: (r: Reflector, a: AuthService, t: EventTickets) => new AuthGuard(r, a, t),
          inject: [Reflector, AuthService, EventTickets],
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

/** How long the API waits for its subscriptions before it serves anyway (the broker may be down). */
const SUBSCRIBE_WAIT_MS = 10_000;

/**
 * Live values are only complete once the broker has acknowledged the subscriptions, so the API
 * waits for that; but it is also where an operator sees that the broker is down, so it does not
 * wait for ever: past SUBSCRIBE_WAIT_MS it serves, says so, and /api/health shows the broker.
 */
async function subscribedOrLate(state: ApiState, url: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), SUBSCRIBE_WAIT_MS)));
  const subscribed = state.subscribed.then(() => 'ok' as const);
  const outcome = await Promise.race([subscribed, late]);
  clearTimeout(timer);
  if (outcome === 'late') {
    const log = new Logger('api');
    log.warn(`api: no subscription acknowledged by ${url} yet; serving without live values`);
    subscribed.then(
      () => log.log('api: subscribed, live values flowing'),
      (e: Error) => log.error(`api: ${e.message}`),
    );
  }
}

/** The HTTP API on api.host:api.port (PORT overrides); resolves with the app and its URL. */
export async function startApi(
  cfg: SystemConfig,
  opts: ApiOptions = {},
): Promise<{ app: INestApplication; url: string; demoPasswords?: Accounts['passwords'] }> {
  const accounts = await resolveAccounts(cfg, opts.demoAccounts === true);
  const { api } = cfg.app;
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forConfig(cfg, accounts), {
    logger: ['log', 'warn', 'error'],
    bodyParser: false, // ours below: JSON only, bounded
  });
  const routes = routeTable(CONTROLLERS);
  app.useGlobalFilters(new AuditFilter(app.get(AuditLog), app.get(AuthService), routes));
  // X-Forwarded-* only from these proxies (req.ip, req.secure, req.protocol, req.host)
  app.set('trust proxy', api.trustProxy.length ? api.trustProxy : false);
  app.disable('x-powered-by');
  // in this order, before any route: headers on every answer, CSRF and content type before the
  // body is read, the body bounded in size, then in depth and count before anything walks it
  app.use(securityHeaders());
  app.use(requestPolicy(api.allowedOrigins));
  app.useBodyParser('json', { limit: api.maxBodyBytes });
  app.use((err: unknown, _req: HttpRequest, _res: unknown, next: (err?: unknown) => void) =>
    next(bodyParserError(err)),
  );
  app.use((req: HttpRequest, _res: unknown, next: (err?: unknown) => void) => {
    const problem = req.body === undefined ? undefined : bodyShapeProblem(req.body);
    next(problem ? new BadRequestException(problem) : undefined);
  });
  app.use(requestContextMiddleware);
  setupOpenApi(app, routes);
  serveConsole(app);
  await subscribedOrLate(app.get(ApiState), cfg.app.mqtt.url);
  answerClientErrorsAsJson(app.getHttpServer());
  await app.listen(cfg.app.api.port, cfg.app.api.host);
  const addr = app.getHttpServer().address() as { port: number };
  return { app, url: `http://${cfg.app.api.host}:${addr.port}`, demoPasswords: accounts.passwords };
}

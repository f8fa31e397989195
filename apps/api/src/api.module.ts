import type { RunningService } from '@cicenns/common';
import { BusRpc } from '@cicenns/bus/rpc';
import {
  BadRequestException,
  Inject,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type INestApplication,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { APP_GUARD, NestFactory, Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { alarmOwnershipOf, type SystemConfig } from '@cicenns/model';
import { nestLogger, serviceLogger } from '@cicenns/common';
import { CalibrationFeed } from '@cicenns/bus';
import { healthName, healthReceiveCap } from '@cicenns/contracts';
import { Registry } from 'prom-client';
import { AlarmCache } from './alarms/alarm-cache';
import { AlarmsController } from './alarms/alarms.controller';
import { AlarmsService } from './alarms/alarms.service';
import { ApiBus } from './api-bus';
import { ApiController } from './api.controller';
import { IntakeRejects } from './intake-rejects';
import { IntakeRejectsController } from './intake-rejects.controller';
import { AuditController } from './audit/audit.controller';
import { AuditFilter } from './audit/audit-filter';
import { AuditLog } from './audit/audit-log';
import { AuthController } from './auth/auth.controller';
import { CalibrationsController, CommissioningController } from './commissioning/commissioning.controller';
import { CommissioningService } from './commissioning/commissioning.service';
import { AuthGuard } from './auth/auth.guard';
import { AuthService } from './auth/auth.service';
import type { UserAccount } from './auth/users-file';
import { SessionsService } from './auth/sessions.service';
import { UsersReloader } from './auth/users-reloader';
import { setupOpenApi } from './http/openapi';
import { serveConsole } from './http/console-static';
import { HvController } from './hv/hv.controller';
import { HvService } from './hv/hv.service';
import { RampWatcher } from './hv/ramp-watcher';
import { EventHub } from './live/event-hub';
import { EventTickets } from './live/event-tickets';
import { EventsController } from './live/events.controller';
import { LiveCache } from './live-cache';
import { PmtStates } from './pmts/pmt-states';
import { buildMetrics } from './metrics';
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
import { recentHistoryFor } from './trends/recent-history-for';
import { Views } from './views';
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
  CommissioningController,
  CalibrationsController,
];

@Module({})
export class ApiModule implements BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(ApiBus) private readonly bus: ApiBus,
    @Inject(BusRpc) private readonly rpc: BusRpc,
    @Inject(EventHub) private readonly hub: EventHub,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {}

  static forConfig(cfg: SystemConfig, accounts: { users: UserAccount[]; file?: string }): DynamicModule {
    return {
      module: ApiModule,
      controllers: CONTROLLERS,
      providers: [
        // what the API serves from: the caches fed by its bus connection, the views over them
        { provide: LiveCache, useFactory: () => new LiveCache(healthReceiveCap(cfg)) },
        { provide: AlarmCache, useFactory: () => new AlarmCache() },
        { provide: IntakeRejects, useFactory: () => new IntakeRejects() },
        // approved calibration records keep the API's detector (every PMT view) current
        {
          provide: CalibrationFeed,
          useFactory: () => new CalibrationFeed(cfg.detector, { warn: (l) => serviceLogger('api').warn(l) }),
        },
        {
          provide: ApiBus,
          // fed as soon as it exists, so no subscription can miss the first 'connect'
          useFactory: (live: LiveCache, alarms: AlarmCache, rejects: IntakeRejects, cal: CalibrationFeed) => {
            const bus = new ApiBus(cfg.app.mqtt);
            bus.feed(rejects);
            bus.feed(live);
            bus.feed(alarms);
            bus.feed(cal);
            return bus;
          },
          inject: [LiveCache, AlarmCache, IntakeRejects, CalibrationFeed],
        },
        {
          provide: Views,
          useFactory: (live: LiveCache, cal: CalibrationFeed) => new Views(cfg, live, Date.now(), cal),
          inject: [LiveCache, CalibrationFeed],
        },
        {
          provide: PmtStates,
          // each PMT's state and the per-group counts, kept as readings and alarm changes arrive
          useFactory: (live: LiveCache, alarms: AlarmCache) => {
            const states = new PmtStates(cfg);
            live.onReadings((r) => states.onReadings(r, (id) => live.get('hv', id)));
            alarms.onChange((a) => states.onAlarm(a));
            return states;
          },
          inject: [LiveCache, AlarmCache],
        },
        { provide: Registry, useFactory: (live: LiveCache) => buildMetrics(live), inject: [LiveCache] },
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
          useFactory: (a: AuthService, audit: AuditLog) => new UsersReloader(a, audit, accounts.file),
          inject: [AuthService, AuditLog],
        },
        {
          provide: SessionsService,
          useFactory: (a: AuthService, audit: AuditLog) => new SessionsService(a, audit),
          inject: [AuthService, AuditLog],
        },
        { provide: BusRpc, useFactory: () => new BusRpc(cfg.app.mqtt, 'api-rpc') },
        {
          provide: EventHub,
          useFactory: (
            live: LiveCache,
            alarms: AlarmCache,
            views: Views,
            bus: ApiBus,
            metrics: Registry,
            a: AuthService,
            states: PmtStates,
          ) =>
            new EventHub(cfg.detector.pmts, live, alarms, views, bus, metrics, a, states, {
              total: cfg.app.api.maxEventStreams,
              perUser: cfg.app.api.maxEventStreamsPerUser,
            }),
          inject: [LiveCache, AlarmCache, Views, ApiBus, Registry, AuthService, PmtStates],
        },
        {
          provide: RampWatcher,
          useFactory: (live: LiveCache, hub: EventHub) => {
            const w = new RampWatcher((p) => hub.emit('hv-progress', p));
            live.onReadings((r) => w.onReadings(r));
            return w;
          },
          inject: [LiveCache, EventHub],
        },
        {
          provide: HvService,
          useFactory: (views: Views, live: LiveCache, rpc: BusRpc, audit: AuditLog, ramps: RampWatcher) =>
            new HvService(cfg, views, live, rpc, audit, ramps),
          inject: [Views, LiveCache, BusRpc, AuditLog, RampWatcher],
        },
        {
          provide: AlarmsService,
          useFactory: (alarms: AlarmCache, rpc: BusRpc, audit: AuditLog, live: LiveCache) =>
            new AlarmsService(
              alarms,
              rpc,
              audit,
              alarmOwnershipOf(cfg),
              (id) => live.services.get(healthName('alarms', id))?.health.state === 'offline',
            ),
          inject: [AlarmCache, BusRpc, AuditLog, LiveCache],
        },
        {
          provide: CommissioningService,
          useFactory: (rpc: BusRpc, audit: AuditLog) => new CommissioningService(rpc, audit),
          inject: [BusRpc, AuditLog],
        },
        {
          provide: TrendsService,
          // without InfluxDB, the recent history fed from the bus answers the trends
          useFactory: (live: LiveCache) => {
            if (cfg.app.influx.url) return new TrendsService(cfg);
            const recent = recentHistoryFor(cfg);
            live.onReadings((r) => recent.add(r));
            return new TrendsService(cfg, recent);
          },
          inject: [LiveCache],
        },
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
    await this.bus.close();
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
async function subscribedOrLate(bus: ApiBus, url: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), SUBSCRIBE_WAIT_MS)));
  const subscribed = bus.subscribed().then(() => 'ok' as const);
  const outcome = await Promise.race([subscribed, late]);
  clearTimeout(timer);
  if (outcome === 'late') {
    const log = serviceLogger('api');
    log.warn(`no subscription acknowledged by ${url} yet; serving without live values`);
    subscribed.then(
      () => log.log('subscribed, live values flowing'),
      (e: Error) => log.error(e.message),
    );
  }
}

/** The running API: the one service shape (RunningService), and what the demo prints. */
export interface Api extends RunningService {
  app: INestApplication;
  url: string;
  /** the demo's generated accounts (no users file) */
  demoPasswords?: Accounts['passwords'];
}

/** The HTTP API on api.host:api.port (PORT overrides); resolves with the app and its URL. */
export async function startApi(cfg: SystemConfig, opts: ApiOptions = {}): Promise<Api> {
  const accounts = await resolveAccounts(cfg, opts.demoAccounts === true);
  const { api } = cfg.app;
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forConfig(cfg, accounts), {
    logger: nestLogger('api'),
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
  await subscribedOrLate(app.get(ApiBus), cfg.app.mqtt.url);
  answerClientErrorsAsJson(app.getHttpServer());
  await app.listen(cfg.app.api.port, cfg.app.api.host);
  const addr = app.getHttpServer().address() as { port: number };
  return {
    app,
    url: `http://${cfg.app.api.host}:${addr.port}`,
    demoPasswords: accounts.passwords,
    stop: () => app.close(),
  };
}

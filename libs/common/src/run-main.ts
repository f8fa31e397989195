import { ConfigError } from '@cicenns/model';
import { serviceLogger } from './logger';
import { describeError } from './describe-error';
import { RateLimitedLog } from './rate-limited-log';
import { HEALTH_LISTEN_ENV, parseHealthListen, ServicePhase, startProbeEndpoint } from './probe-endpoint';

/** Faults caught at the process level, for the services' health. */
export const processFaults = { unhandledRejections: 0 };

/**
 * What happens to an error nobody caught, per process:
 * - a promise rejected with no handler (a failed asynchronous step, e.g. of one message) is
 *   logged (rate-limited) and counted in processFaults; the service goes on. Per-message work
 *   catches its own failures (the intake's DaqHandler, the alarm service's handlers); this is
 *   the net under what slipped through, so that one message cannot end a service.
 * - an uncaught exception leaves the process in an unknown state (Node's own advice): logged
 *   with the service's name and exit 1, for systemd to restart it.
 * Both go to the service's logger as errors; `write`, when given, takes `<name>: <message>` lines
 * instead (for specs).
 */
export function installFaultHandlers(
  name: string,
  write?: (line: string) => void,
  exit: (code: number) => void = (c) => process.exit(c),
): { onRejection: (reason: unknown) => void; onException: (err: unknown) => void } {
  const error = write ? (m: string) => write(`${name}: ${m}`) : serviceLogger(name).error;
  const log = new RateLimitedLog(error, 1000);
  const onRejection = (reason: unknown) => {
    processFaults.unhandledRejections++;
    log.say(`unhandled rejection (service goes on): ${describeError(reason)}`);
  };
  const onException = (err: unknown) => {
    error(`fatal: uncaught exception: ${describeError(err)}`);
    exit(1);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return { onRejection, onException };
}

/**
 * Start a service: a configuration error stops it with the file, path and reason (exit 2);
 * SIGTERM/SIGINT run its stop function once, then exit. Process-level faults: installFaultHandlers.
 * With CICENNS_HEALTH_LISTEN=host:port, /livez and /readyz answer there from before the start
 * (probe-endpoint.ts); a bad value is a configuration error.
 */
export function runMain(name: string, start: () => Promise<() => Promise<void> | void>): void {
  installFaultHandlers(name);
  const log = serviceLogger(name);
  const phase = new ServicePhase();
  const failed = (err: unknown) => {
    if (err instanceof ConfigError) {
      log.error(`configuration error: ${err.message}`);
      process.exit(2);
    }
    log.error(`failed to start: ${describeError(err)}`);
    process.exit(1);
  };
  const probes = async () => {
    const addr = parseHealthListen(process.env[HEALTH_LISTEN_ENV]);
    if (!addr) return;
    try {
      await startProbeEndpoint(name, addr, phase);
    } catch (e) {
      // e.g. the port is taken (a previous instance still exiting): exit 1, systemd retries
      throw new Error(`${HEALTH_LISTEN_ENV}=${addr.host}:${addr.port}: cannot listen: ${describeError(e)}`);
    }
    const host = addr.host.includes(':') ? `[${addr.host}]` : addr.host;
    log.log(`liveness and readiness on http://${host}:${addr.port}/livez and /readyz`);
  };
  probes()
    .then(start)
    .then((stop) => {
      phase.ready();
      let stopping = false;
      const shutdown = (sig: string) => {
        if (stopping) return;
        stopping = true;
        phase.stopping(sig);
        log.log(`${sig}, stopping`);
        Promise.resolve(stop())
          .catch((e) => log.error(`error while stopping: ${e}`))
          .finally(() => process.exit(0));
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
    }, failed);
}

/**
 * Run a one-off task of a service (e.g. `--retire`) to its end: exit with the code it returns,
 * 2 on a configuration error (file, path, reason), 1 if it fails.
 */
export function runTask(name: string, task: () => Promise<number>): void {
  installFaultHandlers(name);
  const log = serviceLogger(name);
  task().then(
    (code) => process.exit(code),
    (err: unknown) => {
      const config = err instanceof ConfigError;
      log.error(config ? `configuration error: ${err.message}` : `failed: ${describeError(err)}`);
      process.exit(config ? 2 : 1);
    },
  );
}

import { ConfigError } from '@cicenns/model';
import { RateLimitedLog } from './rate-limited-log';

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
 */
export function installFaultHandlers(
  name: string,
  write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  exit: (code: number) => void = (c) => process.exit(c),
): { onRejection: (reason: unknown) => void; onException: (err: unknown) => void } {
  const log = new RateLimitedLog(write, 1000);
  const onRejection = (reason: unknown) => {
    processFaults.unhandledRejections++;
    log.say(`${name}: unhandled rejection (service goes on): ${describe(reason)}`);
  };
  const onException = (err: unknown) => {
    write(`${name}: fatal: uncaught exception: ${describe(err)}`);
    exit(1);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return { onRejection, onException };
}

function describe(e: unknown): string {
  try {
    return e instanceof Error ? (e.stack ?? String(e)) : String(e);
  } catch {
    return typeof e;
  }
}

/**
 * Start a service: a configuration error stops it with the file, path and reason (exit 2);
 * SIGTERM/SIGINT run its stop function once, then exit. Process-level faults: installFaultHandlers.
 */
export function runMain(name: string, start: () => Promise<() => Promise<void> | void>): void {
  installFaultHandlers(name);
  start().then(
    (stop) => {
      let stopping = false;
      const shutdown = (sig: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`${name}: ${sig}, stopping\n`);
        Promise.resolve(stop())
          .catch((e) => process.stderr.write(`${name}: error while stopping: ${e}\n`))
          .finally(() => process.exit(0));
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
    },
    (err) => {
      if (err instanceof ConfigError) {
        process.stderr.write(`${name}: configuration error: ${err.message}\n`);
        process.exit(2);
      }
      process.stderr.write(`${name}: failed to start: ${err?.stack ?? err}\n`);
      process.exit(1);
    },
  );
}

import { ConfigError } from '@cicenns/model';

/**
 * Start a service: a configuration error stops it with the file, path and reason (exit 2);
 * SIGTERM/SIGINT run its stop function once, then exit.
 */
export function runMain(name: string, start: () => Promise<() => Promise<void> | void>): void {
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

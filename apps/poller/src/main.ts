import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadSystemConfig } from '@cicenns/model';
import { PollerModule } from './poller.module';

export { PollerModule, startPoller, type PollerHandle } from './poller.module';
export { PollerService, type PollerOptions } from './poller.service';

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadSystemConfig();
  } catch (err) {
    process.stderr.write(`poller: ${err instanceof ConfigError ? err.message : String(err)}\n`);
    process.exit(1);
  }
  const app = await NestFactory.createApplicationContext(PollerModule.forRoot(config), {
    logger: ['error', 'warn'],
  });
  // SIGTERM/SIGINT: stop the timers, finish the transaction in flight, say "offline", exit
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
}

if (require.main === module) {
  bootstrap().catch((err: unknown) => {
    process.stderr.write(
      `poller: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  });
}

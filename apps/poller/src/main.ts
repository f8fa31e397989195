import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { runMain } from '@cicenns/common';
import { loadSystemConfig } from '@cicenns/model';
import { PollerModule } from './poller.module';

runMain('poller', async () => {
  const app = await NestFactory.createApplicationContext(PollerModule.forRoot(loadSystemConfig()), {
    logger: ['error', 'warn'],
  });
  // close(): stops the timers, finishes the transaction in flight, says "offline"
  return () => app.close();
});

import { runMain } from '@cicenns/common';
import { loadSystemConfig } from '@cicenns/model';
import { startPoller } from './poller.service';

runMain('poller', async () => {
  const poller = await startPoller(loadSystemConfig());
  // stop(): stops the timers, finishes the transaction in flight, says "offline"
  return () => poller.stop();
});

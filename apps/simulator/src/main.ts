import { runMain } from '@cicenns/common';
import { startSimulator } from './simulator';

runMain('simulator', async () => {
  const handle = await startSimulator();
  return () => handle.stop();
});

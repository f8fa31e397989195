import { loadSystemConfig } from '@cicenns/model';
import { runMain } from '@cicenns/common';
import { startSimulator } from './simulator';

// startSimulator logs its "simulator: ... http ..., mqtt ..." line itself (the demo's too)
runMain('simulator', async () => {
  const sim = await startSimulator(loadSystemConfig());
  return () => sim.stop();
});

import { startSimulator, type SimulatorHandle } from './simulator';

export * from './index';

async function main(): Promise<void> {
  let handle: SimulatorHandle;
  try {
    handle = await startSimulator();
  } catch (err) {
    // ConfigError and SimSettingsError messages already say file/variable and reason
    console.error(`simulator: cannot start: ${(err as Error).message}`);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`simulator: ${signal}, stopping`);
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    handle.stop().then(
      () => process.exit(0),
      (err: Error) => {
        console.error(`simulator: error while stopping: ${err.message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

if (require.main === module) void main();

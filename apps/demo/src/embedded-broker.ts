import { createServer, type Server } from 'node:net';

export interface EmbeddedBroker {
  url: string;
  close(): Promise<void>;
}

/**
 * An in-process MQTT broker (Aedes) for the demo, so it needs no server installed. Aedes is
 * ESM-only: it is loaded with a real dynamic import (tsconfig module node16 keeps it one).
 * MQTT 3.1.1 only, in-memory persistence: production uses Mosquitto (deploy/).
 */
export async function startEmbeddedBroker(host: string, port: number): Promise<EmbeddedBroker> {
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE'
          ? new Error(
              `MQTT port ${host}:${port} is in use; stop the other broker or set MQTT_URL to a free port`,
            )
          : e,
      ),
    );
    server.listen(port, host, () => resolve());
  });
  return {
    url: `mqtt://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => broker.close(() => resolve()));
        server.unref();
      }),
  };
}

import { createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP server of the simulator's Modbus gateways (MBAP, RTU over TCP): listens, keeps its
 * sockets, and closes them all with it, so a test or a restarted gateway leaves no peer hanging.
 */
export class TcpListener {
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly onConnection: (sock: Socket) => void) {}

  /** Resolves with the bound port (port 0: one the OS chose). */
  listen(host: string, port: number): Promise<number> {
    const server = createServer((sock) => {
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
      this.onConnection(sock);
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}

// A TCP proxy for the `blocked` setup variants (notify-api.md section 7.1): it accepts connections at once but holds
// every byte in both directions until release(); from then on it forwards normally, held connections included.
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** True until release() is called. */
  readonly held: boolean;
  /** Connections accepted so far. */
  readonly accepted: number;
  release(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { readonly host: string; readonly port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const waiting: Socket[] = [];
  let held = true;
  let accepted = 0;

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  };

  const forward = (client: Socket) => {
    if (client.destroyed) return;
    const upstream = connect({ host: target.host, port: target.port });
    track(upstream);
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  };

  // A held client is not read from, so what it sends stays buffered until the release pipes it upstream.
  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    accepted += 1;
    track(client);
    if (held) waiting.push(client);
    else forward(client);
  });
  const port = await listenOnLoopback(server);

  return {
    host: '127.0.0.1',
    port,
    get held() {
      return held;
    },
    get accepted() {
      return accepted;
    },
    release() {
      if (!held) return;
      held = false;
      for (const client of waiting.splice(0)) forward(client);
    },
    close() {
      held = false;
      waiting.length = 0;
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Listens on a free port of 127.0.0.1; the port. */
export async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');
  return address.port;
}

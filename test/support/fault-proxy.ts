// A TCP proxy that injects network faults between the service and a database server, and counts the PostgreSQL
// statements that pass through it: it refuses new connections, or, once armed, lets N more bytes of the server's answers
// through and then hangs (forwards nothing more, keeps the sockets open) or drops (resets both sides).
import { connect, createServer, type Server, type Socket } from 'node:net';
import { listenOnLoopback } from './tcp-proxy.ts';

export type Fault =
  | { readonly kind: 'pass' }
  /** Every connection is reset, and new ones are closed at once, before any byte: a server gone away. */
  | { readonly kind: 'refuse' }
  /** After `afterBytes` more bytes from the server (all connections together), nothing more is forwarded. */
  | { readonly kind: 'hang'; readonly afterBytes: number }
  /** After `afterBytes` more bytes from the server, every connection is destroyed. */
  | { readonly kind: 'drop'; readonly afterBytes: number };

export interface FaultProxy {
  readonly host: string;
  readonly port: number;
  /** PostgreSQL simple Query ('Q') and Parse ('P') messages sent by clients so far: the statements run. */
  readonly statements: number;
  /** Bytes forwarded from the server to clients so far. */
  readonly serverBytes: number;
  /** Connections accepted so far (refused ones included). */
  readonly accepted: number;
  /** True once an armed hang or drop has fired. */
  readonly fired: boolean;
  set(fault: Fault): void;
  close(): Promise<void>;
}

/**
 * Counts the frontend messages of one PostgreSQL connection: the first message (startup, SSL or cancel request) has
 * no type byte, every later one is a type byte and a 4-byte length that counts itself.
 */
function pgMessageCounter(onStatement: () => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  let started = false;
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      const header = started ? 5 : 4;
      if (pending.length < header) return;
      const length = started ? pending.readUInt32BE(1) + 1 : pending.readUInt32BE(0);
      if (pending.length < length) return;
      if (started && (pending[0] === 0x51 || pending[0] === 0x50)) onStatement();
      // An SSL request (code 80877103) is followed by another untyped startup message.
      if (!started && !(length === 8 && pending.readUInt32BE(4) === 80877103)) started = true;
      pending = pending.subarray(length);
    }
  };
}

export async function startFaultProxy(target: { readonly host: string; readonly port: number }): Promise<FaultProxy> {
  const sockets = new Set<Socket>();
  const hung = new Set<Socket>();
  let fault: Fault = { kind: 'pass' };
  let budget = Infinity;
  let fired = false;
  let statements = 0;
  let serverBytes = 0;
  let accepted = 0;

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  };

  const fire = () => {
    fired = true;
    if (fault.kind === 'drop') {
      for (const socket of sockets) socket.resetAndDestroy();
    }
  };

  const server: Server = createServer((client) => {
    accepted += 1;
    track(client);
    if (fault.kind === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect({ host: target.host, port: target.port });
    track(upstream);
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    const count = pgMessageCounter(() => (statements += 1));
    client.on('data', (chunk: Buffer) => {
      count(chunk);
      if (!hung.has(client) && !upstream.destroyed) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (hung.has(client) || client.destroyed) return;
      if (fired && fault.kind === 'hang') {
        hung.add(client);
        return;
      }
      if (chunk.length >= budget) {
        const part = chunk.subarray(0, budget);
        budget = 0;
        serverBytes += part.length;
        client.write(part);
        if (fault.kind === 'hang') hung.add(client);
        fire();
        return;
      }
      budget -= chunk.length;
      serverBytes += chunk.length;
      client.write(chunk);
    });
  });
  const port = await listenOnLoopback(server);

  return {
    host: '127.0.0.1',
    port,
    get statements() {
      return statements;
    },
    get serverBytes() {
      return serverBytes;
    },
    get accepted() {
      return accepted;
    },
    get fired() {
      return fired;
    },
    set(next) {
      fault = next;
      fired = false;
      // A hung connection lost bytes on the way: it cannot resume.
      for (const socket of hung) socket.destroy();
      if (next.kind === 'refuse') for (const socket of sockets) socket.resetAndDestroy();
      hung.clear();
      budget = next.kind === 'hang' || next.kind === 'drop' ? next.afterBytes : Infinity;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

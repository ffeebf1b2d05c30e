import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { testPg } from './postgres.ts';
import { startTcpProxy } from './tcp-proxy.ts';

async function echoServer() {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.pipe(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return {
    port: address.port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function collect(socket: Socket): { text: () => string } {
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
  return { text: () => received };
}

test('a held proxy accepts the connection but passes no byte until the release', async () => {
  const echo = await echoServer();
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: echo.port });
  const client = connect({ host: proxy.host, port: proxy.port });
  try {
    await once(client, 'connect');
    const received = collect(client);
    client.write('ping');
    await sleep(200);
    assert.equal(received.text(), '');
    assert.equal(proxy.held, true);
    assert.equal(proxy.accepted, 1);
    proxy.release();
    const deadline = Date.now() + 2000;
    while (received.text() !== 'ping' && Date.now() < deadline) await sleep(10);
    assert.equal(received.text(), 'ping');
    assert.equal(proxy.held, false);
    client.write('pong');
    while (received.text() !== 'pingpong' && Date.now() < deadline) await sleep(10);
    assert.equal(received.text(), 'pingpong');
  } finally {
    client.destroy();
    await proxy.close();
    await echo.close();
  }
});

test('after the release new connections are forwarded at once; close() ends them', async () => {
  const echo = await echoServer();
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: echo.port });
  proxy.release();
  const client = connect({ host: proxy.host, port: proxy.port });
  try {
    await once(client, 'connect');
    const received = collect(client);
    client.write('hello');
    const deadline = Date.now() + 2000;
    while (received.text() !== 'hello' && Date.now() < deadline) await sleep(10);
    assert.equal(received.text(), 'hello');
    const closed = once(client, 'close');
    await proxy.close();
    await closed;
  } finally {
    client.destroy();
    await echo.close();
  }
});

test('a PostgreSQL client through a held proxy connects only after the release', async () => {
  const { url } = await testPg();
  const parsed = new URL(url);
  const proxy = await startTcpProxy({ host: parsed.hostname, port: Number(parsed.port) });
  parsed.hostname = proxy.host;
  parsed.port = String(proxy.port);
  const client = new pg.Client({ connectionString: parsed.toString() });
  try {
    let connected = false;
    const connecting = client.connect().then(() => (connected = true));
    await sleep(500);
    assert.equal(connected, false);
    proxy.release();
    await connecting;
    const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
    assert.deepEqual(rows, [{ one: 1 }]);
  } finally {
    await client.end().catch(() => undefined);
    await proxy.close();
  }
});

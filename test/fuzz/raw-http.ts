// An HTTP/1.1 client on a raw socket: it sends exactly the bytes it is given (malformed request lines, odd or
// non-ASCII headers, repeated keys, chunked bodies, a body shorter than its Content-Length), which fetch refuses to send.
import { connect } from 'node:net';

export interface RawRequest {
  readonly method: string;
  readonly target: string;
  /** In order; repeated names are sent repeatedly. Values may hold any bytes but CR and LF. */
  readonly headers: readonly (readonly [string, string | Buffer])[];
  readonly body: Buffer | null;
  /** Sends the body as chunked transfer encoding in `chunked` pieces instead of with a Content-Length. */
  readonly chunked?: number;
}

export interface RawAnswer {
  /** The status code, or null when the server closed the connection without an answer. */
  readonly status: number | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** True when no answer came within the timeout. */
  readonly timedOut: boolean;
}

export function serialize(request: RawRequest): Buffer {
  const head: Buffer[] = [Buffer.from(`${request.method} ${request.target} HTTP/1.1\r\nHost: 127.0.0.1\r\n`)];
  for (const [name, value] of request.headers) head.push(Buffer.from(`${name}: `), Buffer.from(value), Buffer.from('\r\n'));
  head.push(Buffer.from('Connection: close\r\n'));
  const body = request.body;
  if (body === null) return Buffer.concat([...head, Buffer.from('\r\n')]);
  if (request.chunked === undefined) {
    return Buffer.concat([...head, Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]);
  }
  const parts: Buffer[] = [...head, Buffer.from('Transfer-Encoding: chunked\r\n\r\n')];
  const size = Math.max(1, Math.ceil(body.length / request.chunked));
  for (let at = 0; at < body.length; at += size) {
    const piece = body.subarray(at, at + size);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

/** Sends `bytes` to 127.0.0.1:`port` and reads the answer until the server closes the connection. */
export function sendRaw(
  port: number,
  bytes: Buffer,
  options: { readonly timeoutMs: number; readonly halfClose?: boolean; readonly leaveAfterMs?: number },
): Promise<RawAnswer> {
  const { timeoutMs, halfClose = false, leaveAfterMs } = options;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: '127.0.0.1', port });
    let done = false;
    const finish = (timedOut: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseAnswer(Buffer.concat(chunks), timedOut));
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    if (leaveAfterMs !== undefined) setTimeout(() => finish(false), leaveAfterMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => finish(false));
    // The server may answer (413, 400) and close before it has read everything: the rest of the write then fails.
    socket.on('error', () => undefined);
    socket.write(bytes);
    if (halfClose) socket.end();
  });
}

function parseAnswer(bytes: Buffer, timedOut: boolean): RawAnswer {
  // Interim answers (100 Continue) come before the final one.
  const text = bytes.toString('latin1').replace(/^(HTTP\/1\.[01] 1\d\d[^\r]*\r\n(?:[^\r]+\r\n)*\r\n)+/, '');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  if (!match) return { status: null, headers: {}, body: '', timedOut };
  const end = text.indexOf('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of text.slice(0, end < 0 ? text.length : end).split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const raw = end < 0 ? '' : dechunk(text.slice(end + 4), headers['transfer-encoding']);
  return { status: Number(match[1]), headers, body: Buffer.from(raw, 'latin1').toString('utf8'), timedOut };
}

function dechunk(body: string, encoding: string | undefined): string {
  if (encoding !== 'chunked') return body;
  let out = '';
  let rest = body;
  for (;;) {
    const line = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, line), 16);
    if (line < 0 || !(size > 0)) return out;
    out += rest.slice(line + 2, line + 2 + size);
    rest = rest.slice(line + 2 + size + 2);
  }
}

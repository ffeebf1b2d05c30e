// A real `catalog-sync serve` process for the benchmarks, started as `npm start` starts it (log level info, written to
// /dev/null) on the application database the caller gives; BENCH_CPU_PROF=<dir> makes it write a V8 CPU profile there
// when it stops.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/postgres.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const NOTIFY_KEY = 'bench-notify-key';
export const ADMIN_KEY = 'bench-admin-key';

export interface ServiceProcess {
  readonly port: number;
  /** The service's own process id (node runs it directly, not through npm). */
  readonly pid: number;
  /** POSTs JSON with the given headers; throws unless the answer is 2xx. */
  post(path: string, headers: Record<string, string>, body: unknown): Promise<unknown>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

export async function startServiceProcess(env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('MB_')));
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', 'src/cli/index.ts', 'serve'], {
    cwd: ROOT,
    env: {
      ...base,
      LOG_LEVEL: 'info',
      MB_JETTY_HOST: '127.0.0.1',
      MB_JETTY_PORT: String(port),
      MB_API_KEY: NOTIFY_KEY,
      MB_ADMIN_API_KEY: ADMIN_KEY,
      MB_LOAD_SAMPLE_CONTENT: 'false',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    for (let tries = 0; !(await fetch(`http://127.0.0.1:${port}/api/health`).then((r) => r.ok, () => false)); tries++) {
      if (tries > 300 || child.exitCode !== null) throw new Error('the service did not start');
      await sleep(100);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    port,
    pid: child.pid as number,
    async post(path, headers, body) {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(600_000),
      });
      if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
      return response.json();
    },
    stop,
  };
}

// `npm run fuzz`: the long fuzz run (FUZZ_REQUESTS, default 10,000; FUZZ_SEED, default a fixed one). Prints progress,
// each failure, the counts by status, and as its last line the request count and the 5xx count; exits 1 on a failure.
import { runFuzz, summaryLine } from './fuzz-run.ts';

const requests = Number(process.env.FUZZ_REQUESTS ?? 10_000);
const seed = Number(process.env.FUZZ_SEED ?? 20_261_206);
const steps: (() => unknown)[] = [];
let status = 0;
try {
  const started = Date.now();
  const log = (line: string) => console.log(line);
  const report = await runFuzz({ after: (fn) => void steps.push(fn) }, { requests, seed, log });
  const atime = report.atimeTracked ? 'on' : 'off (not tracked by this file system)';
  console.log(`# routes: ${report.routes} (${report.routesFrom}); quiet requests: ${report.quietRequests}`);
  console.log(`# SQLite warehouse access-time check: ${atime}`);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`# answers by status: ${JSON.stringify(report.byStatus)}; ${seconds} s`);
  console.log(`# service peak RSS (VmHWM): ${report.servicePeakRssMiB ?? 'unknown'} MiB`);
  if (report.failures.length > 0) status = 1;
  console.log(summaryLine(report));
} catch (error) {
  console.error(error);
  status = 1;
} finally {
  for (const step of steps.reverse()) await step();
}
process.exit(status);

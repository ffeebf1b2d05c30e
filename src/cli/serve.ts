// `catalog-sync serve` (what `npm start` runs): start the service, stop it gracefully on SIGTERM or SIGINT.
import { loadConfig } from '../config.ts';
import { ConfigError, sanitize } from '../errors.ts';
import { createLogger } from '../logger.ts';
import { startService, type Service } from '../main.ts';
import { setting, type CliIo } from './client.ts';

/**
 * A repeated signal within this time is the same request: a terminal's Ctrl-C reaches `npm start` and the service
 * alike, and npm forwards its copy a few milliseconds later. A signal after it exits at once.
 */
const SAME_SIGNAL_MS = 1000;

/** Starts the service; returns 1 after printing one line when start-up fails, 0 once it is listening. */
export async function serve(io: CliIo): Promise<number> {
  const secrets = secretsOf(io.env);
  const logger = createLogger();
  let service: Service;
  try {
    service = await startService(loadConfig(io.env), logger, { listen: true, env: io.env });
  } catch (error) {
    io.err(`${startupFailure(error, secrets)}\n`);
    return 1;
  }
  let firstSignalAt: number | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    const now = Date.now();
    if (firstSignalAt !== null) {
      if (now - firstSignalAt < SAME_SIGNAL_MS) return;
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    firstSignalAt = now;
    logger.info({ signal }, 'shutting down');
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        io.err(`shutdown failed: ${sanitize(error instanceof Error ? error.message : String(error), secrets)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return 0;
}

/** The values no start-up message may show: the keys and the password of MB_DB_CONNECTION_URI. */
function secretsOf(env: CliIo['env']): string[] {
  const secrets = ['MB_API_KEY', 'MB_ADMIN_API_KEY'].flatMap((name) => setting(env, name) ?? []);
  try {
    const password = new URL(setting(env, 'MB_DB_CONNECTION_URI') ?? '').password;
    if (password) secrets.push(password, decodeURIComponent(password));
  } catch {
    // Not a URL, so there is no password part to hide.
  }
  return secrets;
}

function startupFailure(error: unknown, secrets: readonly string[]): string {
  const line = sanitize(error instanceof Error ? error.message : String(error), secrets);
  return error instanceof ConfigError ? line : `catalog-sync cannot start: ${line}`;
}

// Warehouse TLS from the details, in each engine's own vocabulary (issue 10): PostgreSQL `ssl` + `ssl-mode`
// (disable, allow, prefer, require, verify-ca, verify-full) + `ssl-root-cert`; MySQL and MariaDB `ssl` + `ssl-mode`
// (DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY) + `ssl-ca`. The certificate is verified whenever the
// user asks for TLS, unless they explicitly chose a mode that does not verify.
import type { ConnectionOptions } from 'node:tls';
import { DriverError, type Engine } from './driver.ts';

/** What the connection does: no TLS, TLS without verification, verified chain, verified chain and host name. */
export type TlsLevel = 'off' | 'encrypt' | 'verify-ca' | 'verify-full';

export interface TlsSettings {
  readonly level: TlsLevel;
  /** PEM text of the certificate authorities to trust; absent: the system's. */
  readonly ca: string | undefined;
}

// allow and prefer cannot fall back to plain text in node's drivers: allow connects in plain text (libpq's first
// attempt), prefer always encrypts without verification (a server without TLS is refused instead of used in clear).
const POSTGRES_MODES: Readonly<Record<string, TlsLevel>> = {
  disable: 'off',
  allow: 'off',
  prefer: 'encrypt',
  require: 'encrypt',
  'verify-ca': 'verify-ca',
  'verify-full': 'verify-full',
};

const MYSQL_MODES: Readonly<Record<string, TlsLevel>> = {
  DISABLED: 'off',
  PREFERRED: 'encrypt',
  REQUIRED: 'encrypt',
  VERIFY_CA: 'verify-ca',
  VERIFY_IDENTITY: 'verify-full',
};

const ENGINE_KEYS = {
  postgres: { modes: POSTGRES_MODES, ca: 'ssl-root-cert' },
  mysql: { modes: MYSQL_MODES, ca: 'ssl-ca' },
} as const;

/**
 * The TLS settings of stored details: `ssl-mode` decides when present; otherwise `ssl: true` is verify-full (chain
 * and host name) and anything else is no TLS. Throws CONNECTION_FAILED (a 400 at registration) for an unknown mode or
 * a certificate that is not PEM text.
 */
export function readTls(engine: 'postgres' | 'mysql', details: Readonly<Record<string, unknown>>): TlsSettings {
  const { modes, ca: caKey } = ENGINE_KEYS[engine];
  const refuse = (message: string) => new DriverError('CONNECTION_FAILED', engine as Engine, message);
  const mode = details['ssl-mode'];
  let level: TlsLevel;
  if (mode === undefined || mode === null || mode === '') {
    level = details.ssl === true ? 'verify-full' : 'off';
  } else {
    const found = typeof mode === 'string' ? modes[engine === 'mysql' ? mode.toUpperCase() : mode.toLowerCase()] : undefined;
    if (found === undefined) {
      throw refuse(`"ssl-mode" must be one of ${Object.keys(modes).join(', ')}.`);
    }
    level = found;
  }
  const ca = details[caKey];
  if (ca !== undefined && ca !== null && ca !== '') {
    if (typeof ca !== 'string' || !ca.includes('-----BEGIN CERTIFICATE-----')) {
      throw refuse(`"${caKey}" must be the PEM text of the certificate authority (-----BEGIN CERTIFICATE-----).`);
    }
    return Object.freeze({ level, ca });
  }
  return Object.freeze({ level, ca: undefined });
}

/** node's TLS options for a level (false: no TLS). */
export function tlsOptions(settings: TlsSettings): ConnectionOptions | false {
  const ca = settings.ca === undefined ? {} : { ca: settings.ca };
  switch (settings.level) {
    case 'off':
      return false;
    case 'encrypt':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined, ...ca };
    case 'verify-full':
      return { rejectUnauthorized: true, ...ca };
  }
}

/** mysql2's TLS options for a level (undefined: no TLS); it checks the host name itself with `verifyIdentity`. */
export function mysqlTlsOptions(
  settings: TlsSettings,
): { rejectUnauthorized: boolean; verifyIdentity?: boolean; ca?: string } | undefined {
  if (settings.level === 'off') return undefined;
  if (settings.level === 'encrypt') return { rejectUnauthorized: false };
  const ca = settings.ca === undefined ? {} : { ca: settings.ca };
  return { rejectUnauthorized: true, verifyIdentity: settings.level === 'verify-full', ...ca };
}

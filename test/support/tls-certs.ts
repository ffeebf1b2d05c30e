// Certificates for the warehouse TLS tests, made here with openssl: a CA the tests trust ("right"), one they do not
// ("wrong"), and server certificates signed by the right CA, one per DNS name, with keys the server's account can read.
// Also the two checks those tests make of a driver: it connects, or it is refused for a reason.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DriverError, WarehouseDriver } from '../../src/drivers/driver.ts';
import { rejection } from './drivers.ts';

export interface TestCertificates {
  /** PEM text of the CA that signed the server certificates, and of one that did not. */
  readonly rightCa: string;
  readonly wrongCa: string;
  /** Paths of the certificate and key made for `name` (its only subjectAltName). */
  server(name: string): { readonly cert: string; readonly key: string };
  remove(): void;
}

/** `owner`: the system account of the server that reads the keys (when the tests run as root). */
export function makeCertificates(owner: 'postgres' | 'mysql', names: readonly string[]): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-tls-'));
  chmodSync(dir, 0o755);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ca = (name: string) => {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`,
      '-keyout', `${name}.key`, '-out', `${name}.crt`);
    return readFileSync(join(dir, `${name}.crt`), 'utf8');
  };
  const rightCa = ca('right-ca');
  const wrongCa = ca('wrong-ca');
  const id = (flag: string) => Number(execFileSync('id', [flag, owner]).toString().trim());
  for (const name of names) {
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=DNS:${name}\n`);
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'right-ca.crt', '-CAkey', 'right-ca.key', '-CAcreateserial',
      '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
    chmodSync(join(dir, `${name}.key`), 0o600);
    if (process.getuid?.() === 0) chownSync(join(dir, `${name}.key`), id('-u'), id('-g'));
  }
  return {
    rightCa,
    wrongCa,
    server: (name) => ({ cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The driver's connection test succeeds; the driver is closed. */
export async function connects(driver: WarehouseDriver): Promise<void> {
  try {
    await driver.testConnection(AbortSignal.timeout(10_000));
  } finally {
    await driver.close();
  }
}

/** The driver's connection test fails with a DriverError whose message matches `reason`, returned; the driver is closed. */
export async function refused(driver: WarehouseDriver, reason: RegExp): Promise<DriverError> {
  try {
    const error = await rejection(driver.testConnection(AbortSignal.timeout(10_000)));
    assert.match(error.message, reason);
    return error;
  } finally {
    await driver.close();
  }
}

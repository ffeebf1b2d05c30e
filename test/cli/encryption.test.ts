// Credentials at rest with real `catalog-sync serve` processes on the test's application database (SQLite or
// PostgreSQL): the stored bytes hold no password, a wrong or missing key stops start-up with one clear line, the
// rotation round trip old → new → "" in one transaction, and no log line of the whole run holds the password.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DetailsCodec, EncryptionKey, isPossiblyEncrypted } from '../../src/catalog/details-codec.ts';
import { ENCRYPTION_CHECK, KEY_MISSING, WRONG_KEY } from '../../src/catalog/encryption-check.ts';
import { runCli } from '../../src/cli/program.ts';
import { ROTATION_OK } from '../../src/cli/rotate-key-command.ts';
import { loadConfig } from '../../src/config.ts';
import type { AppDb } from '../../src/db/connect.ts';
import { silentLogger } from '../../src/logger.ts';
import { startService } from '../../src/main.ts';
import { lastFirst, notify, register, startInstance, type Instance } from '../multi-instance/support.ts';
import { createTestAppDb } from '../support/app-db.ts';
import { createTestDatabase, execSql } from '../support/postgres.ts';

const KEY_1 = 'first-secret-key-0123456789';
const KEY_2 = 'second-secret-key-9876543210';
const PASSWORD = 'Zq8-warehouse-pw-7731';
const CHANGED_PASSWORD = 'Xk4-changed-pw-5519';

async function rawDetails(appDb: AppDb): Promise<string[]> {
  const rows = await appDb.db.selectFrom('metabase_database').select('details').orderBy('id').execute();
  return rows.map((row) => row.details);
}

async function sentinel(appDb: AppDb): Promise<string | undefined> {
  const row = await appDb.db.selectFrom('setting').select('value').where('key', '=', ENCRYPTION_CHECK).executeTakeFirst();
  return row?.value;
}

async function rotate(env: Record<string, string>, key: string) {
  const io = { env, stdout: '', stderr: '', out: (s: string) => void (io.stdout += s), err: (s: string) => void (io.stderr += s) };
  const status = await runCli(['rotate-encryption-key', key], io);
  return { status, stdout: io.stdout, stderr: io.stderr };
}

async function startFails(t: { after(fn: () => unknown): void }, env: Record<string, string>): Promise<string> {
  const error = await startInstance(t, 'refused', env).then(
    () => assert.fail('start-up should have been refused'),
    (thrown: Error) => thrown,
  );
  return error.message;
}

describe('credentials encrypted at rest', () => {
  test('stored bytes, wrong key, rotation, and no password in any log', { timeout: 300_000 }, async (t) => {
    const cleanup = lastFirst(t);
    const dir = mkdtempSync(join(tmpdir(), 'catalog-sync-enc-'));
    cleanup.after(() => rmSync(dir, { recursive: true, force: true }));
    const testAppDb = await createTestAppDb(dir);
    cleanup.after(() => testAppDb.drop());
    const appDb = testAppDb.open();
    cleanup.after(() => appDb.close());

    // A warehouse whose role has a password of its own, so that it is recognizable in every byte written.
    const warehouse = await createTestDatabase('enc_wh');
    const role = `enc_role_${process.pid}_${Date.now().toString(36)}`;
    await execSql(
      warehouse.url,
      `CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD}'`,
      `GRANT ALL ON SCHEMA public TO ${role}`,
      `CREATE TABLE public.orders (id integer PRIMARY KEY, total numeric)`,
      `GRANT SELECT ON public.orders TO ${role}`,
    );
    cleanup.after(() => execSql(warehouse.url, `DROP OWNED BY ${role}`, `DROP ROLE ${role}`));
    const details = { ...warehouse.details, user: role, password: PASSWORD };
    const logs: string[] = [];
    const env = { ...testAppDb.env, MB_ENCRYPTION_SECRET_KEY: KEY_1, LOG_LEVEL: 'debug' };

    const first: Instance = await startInstance(cleanup, 'first', env);
    const id = await register(first, 'Encrypted warehouse', details);
    const shown = await fetch(`${first.url}/api/database/${id}`, { headers: { 'X-API-KEY': 'mi-admin-key' } });
    assert.equal(((await shown.json()) as { details: { password: string } }).details.password, '**MetabasePass**');
    await notify(first, id, { 'synchronous?': true });
    // A failing connection: the role's password changes behind the catalog's back, the next sync is refused.
    await execSql(warehouse.url, `ALTER ROLE ${role} PASSWORD '${CHANGED_PASSWORD}'`);
    const failed = await fetch(`${first.url}/api/notify/db/${id}`, {
      method: 'POST',
      headers: { 'X-METABASE-APIKEY': 'mi-notify-key', 'content-type': 'application/json' },
      body: JSON.stringify({ 'synchronous?': true }),
    });
    const failure = await failed.text();
    assert.equal(failed.status, 500);
    assert.match(failure, /password authentication failed/);
    assert.ok(!failure.includes(PASSWORD) && !failure.includes(CHANGED_PASSWORD));
    const refused = await fetch(`${first.url}/api/database`, {
      method: 'POST',
      headers: { 'X-API-KEY': 'mi-admin-key', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Wrong password', engine: 'postgres', details }),
    });
    assert.equal(refused.status, 400);
    assert.ok(!(await refused.text()).includes(PASSWORD));
    assert.equal(await first.stop(), 0);
    logs.push(first.output());
    assert.match(first.output(), /password authentication failed/);

    // The stored bytes: ciphertext only, readable with the first key.
    const [stored] = await rawDetails(appDb);
    assert.ok(!stored.includes(PASSWORD) && !stored.startsWith('{') && isPossiblyEncrypted(stored));
    assert.equal(new DetailsCodec(new EncryptionKey(KEY_1)).decode(stored).password, PASSWORD);
    assert.ok(isPossiblyEncrypted((await sentinel(appDb)) ?? ''));

    // A wrong key, or none, stops start-up with one clear line before any connection is attempted.
    const wrong = await startFails(cleanup, { ...env, MB_ENCRYPTION_SECRET_KEY: KEY_2 });
    assert.ok(wrong.includes(WRONG_KEY), wrong);
    assert.ok(!wrong.includes(KEY_2) && !wrong.includes(PASSWORD));
    await assert.rejects(startService(loadConfig({ ...testAppDb.env }), silentLogger()), { message: KEY_MISSING });

    // Rotation with the wrong old key is refused and changes nothing.
    const bad = await rotate({ ...testAppDb.env, MB_ENCRYPTION_SECRET_KEY: KEY_2 }, 'third-secret-key-000000');
    assert.equal(bad.status, 1);
    assert.ok(bad.stderr.includes(WRONG_KEY) && !bad.stderr.includes(KEY_2), bad.stderr);
    assert.deepEqual(await rawDetails(appDb), [stored]);

    // Old → new: readable with the new key only; the service starts with it.
    const toNew = await rotate(env, KEY_2);
    assert.deepEqual(toNew, { status: 0, stdout: `${ROTATION_OK}\n`, stderr: '' });
    const [rotated] = await rawDetails(appDb);
    assert.notEqual(rotated, stored);
    assert.ok(!rotated.includes(PASSWORD));
    assert.equal(new DetailsCodec(new EncryptionKey(KEY_2)).decode(rotated).password, PASSWORD);
    const second = await startInstance(cleanup, 'second', { ...env, MB_ENCRYPTION_SECRET_KEY: KEY_2 });
    await execSql(warehouse.url, `ALTER ROLE ${role} PASSWORD '${PASSWORD}'`);
    await notify(second, id, { 'synchronous?': true });
    assert.equal(await second.stop(), 0);
    logs.push(second.output());
    assert.match(second.output(), /sync job succeeded/);

    // New → "": plain JSON again, and the sentinel says so; a start without a key works.
    const toPlain = await rotate({ ...env, MB_ENCRYPTION_SECRET_KEY: KEY_2 }, '');
    assert.equal(toPlain.status, 0, toPlain.stderr);
    const [plain] = await rawDetails(appDb);
    assert.equal(JSON.parse(plain).password, PASSWORD);
    assert.equal(await sentinel(appDb), 'unencrypted');
    const third = await startService(loadConfig({ ...testAppDb.env, MB_LOAD_SAMPLE_CONTENT: 'false' }), silentLogger());
    await third.stop();

    const whole = logs.join('\n');
    assert.ok(whole.length > 1000, 'the run logged');
    assert.ok(!whole.includes(PASSWORD) && !whole.includes(CHANGED_PASSWORD), 'no password in any log line');
    assert.ok(!whole.includes(KEY_1) && !whole.includes(KEY_2), 'no key in any log line');
  });
});

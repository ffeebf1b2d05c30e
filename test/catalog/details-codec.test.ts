// The details codec without a database: Metabase's stored format, tampering and wrong keys refused, plain JSON told
// apart from ciphertext.
import { createDecipheriv, createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DecryptionError,
  DetailsCodec,
  EncryptionKey,
  PLAIN_CODEC,
  isPossiblyEncrypted,
} from '../../src/catalog/details-codec.ts';

const SECRET = 'Orw0AAyzkO/kPTLJRxiyKoBHXa/d6ZcO+p+gpZO/wSQ=';
const key = new EncryptionKey(SECRET);
const other = new EncryptionKey('0B9cD6++AME+A7/oR7Y2xvPRHX3cHA2z7w+LbObd/9Y=');

describe('details codec', () => {
  test('the stored text is base64(IV ‖ AES-256-CBC ‖ 32-byte HMAC-SHA512 tag) under the PBKDF2 key', () => {
    const plain = '{"host":"h","password":"pw-in-clear"}';
    const stored = key.encrypt(plain);
    assert.match(stored, /^[0-9A-Za-z/+]+=*$/);
    const bytes = Buffer.from(stored, 'base64');
    // 38 bytes of JSON pad to 48: IV 16 + 48 + tag 32.
    assert.equal(bytes.length, 16 + 48 + 32);
    // Decrypted independently of the class, by the format of curation-notes.md section 3.
    const derived = pbkdf2Sync(SECRET, Buffer.alloc(0), 100_000, 64, 'sha512');
    const iv = bytes.subarray(0, 16);
    const body = bytes.subarray(16, bytes.length - 32);
    const tag = createHmac('sha512', derived.subarray(0, 32)).update(iv).update(body).digest().subarray(0, 32);
    assert.deepEqual(bytes.subarray(bytes.length - 32), tag);
    const decipher = createDecipheriv('aes-256-cbc', derived.subarray(32, 64), iv);
    assert.equal(Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8'), plain);
  });

  test('a block-aligned input gets a full padding block; every encryption has its own IV', () => {
    const sixteen = '{"a":"123456789"}'.slice(0, 16);
    assert.equal(Buffer.from(key.encrypt(sixteen), 'base64').length, 16 + 32 + 32);
    assert.notEqual(key.encrypt('x'), key.encrypt('x'));
  });

  test('round trip; another key or a flipped byte is refused, never garbled', () => {
    const codec = new DetailsCodec(key);
    const details = { host: 'db', password: 'p@ss — ünïcode' };
    const stored = codec.encode(details);
    assert.deepEqual(codec.decode(stored), details);
    assert.throws(() => new DetailsCodec(other).decode(stored), DecryptionError);
    const bytes = Buffer.from(stored, 'base64');
    bytes[20] ^= 1;
    assert.throws(() => codec.decode(bytes.toString('base64')), DecryptionError);
    assert.throws(() => PLAIN_CODEC.decode(stored), /encrypted, but MB_ENCRYPTION_SECRET_KEY is not set/);
  });

  test('plain JSON is never taken for ciphertext and is read as is with a key', () => {
    for (const text of ['{}', '{"db":"x.sqlite"}', '', 'abcd', 'QUJD']) assert.equal(isPossiblyEncrypted(text), false);
    assert.equal(isPossiblyEncrypted(key.encrypt('{}')), true);
    assert.deepEqual(new DetailsCodec(key).decode('{"db":"x.sqlite"}'), { db: 'x.sqlite' });
    assert.equal(PLAIN_CODEC.encode({ db: 'x' }), '{"db":"x"}');
  });

  test('a secret under 16 characters is refused', () => {
    assert.throws(() => new EncryptionKey('fifteen-chars!!'), /at least 16 characters/);
  });
});

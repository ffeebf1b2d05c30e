// The one codec of metabase_database.details (issue 8): plain JSON without MB_ENCRYPTION_SECRET_KEY, Metabase's
// `aes256-cbc-hmac-sha512` with it (curation-notes.md section 3): key = PBKDF2-HMAC-SHA512(secret, no salt, 100,000
// iterations, 64 bytes), MAC key bytes 0–31, AES-256-CBC key bytes 32–63, stored as base64(IV ‖ C ‖ tag), tag = the
// first 32 bytes of HMAC-SHA512(MAC key, IV ‖ C). Plain JSON starts with `{`, which base64 never does.
import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AppDb } from '../db/connect.ts';

const ITERATIONS = 100_000;
const IV_BYTES = 16;
const TAG_BYTES = 32;
export const MIN_SECRET_LENGTH = 16;

/** A stored value that is encrypted but cannot be decrypted with the key at hand (or with none). */
export class DecryptionError extends Error {
  override readonly name = 'DecryptionError';
}

/** Metabase's `possibly-encrypted-string?`: base64 with padding whose bytes hold an IV, whole blocks and a tag. */
export function isPossiblyEncrypted(text: string): boolean {
  if (!/^(?:[0-9A-Za-z/+]{4})*(?:[0-9A-Za-z/+]{2}==|[0-9A-Za-z/+]{3}=)?$/.test(text) || text === '') return false;
  const length = Buffer.from(text, 'base64').length;
  return length >= IV_BYTES + 16 + TAG_BYTES && (length - TAG_BYTES) % 16 === 0;
}

/** A derived 64-byte key; derive it once per process (PBKDF2 with 100,000 iterations takes ~100 ms). */
export class EncryptionKey {
  readonly #macKey: Buffer;
  readonly #encKey: Buffer;

  constructor(secret: string) {
    if (secret.length < MIN_SECRET_LENGTH) {
      throw new Error(`MB_ENCRYPTION_SECRET_KEY must be at least ${MIN_SECRET_LENGTH} characters.`);
    }
    const key = pbkdf2Sync(Buffer.from(secret, 'utf8'), Buffer.alloc(0), ITERATIONS, 64, 'sha512');
    this.#macKey = key.subarray(0, 32);
    this.#encKey = key.subarray(32, 64);
  }

  encrypt(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-cbc', this.#encKey, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, body, this.#tag(iv, body)]).toString('base64');
  }

  /** Throws DecryptionError when the tag does not match (another key, or altered bytes). */
  decrypt(stored: string): string {
    const bytes = Buffer.from(stored, 'base64');
    const iv = bytes.subarray(0, IV_BYTES);
    const body = bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES);
    const tag = bytes.subarray(bytes.length - TAG_BYTES);
    if (!timingSafeEqual(tag, this.#tag(iv, body))) {
      throw new DecryptionError('Stored credentials were encrypted with a different key than MB_ENCRYPTION_SECRET_KEY.');
    }
    const decipher = createDecipheriv('aes-256-cbc', this.#encKey, iv);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  }

  #tag(iv: Buffer, body: Buffer): Buffer {
    return createHmac('sha512', this.#macKey).update(iv).update(body).digest().subarray(0, TAG_BYTES);
  }
}

/** Encodes details for storage and decodes stored details; `key` null stores plain JSON. */
export class DetailsCodec {
  readonly key: EncryptionKey | null;

  constructor(key: EncryptionKey | null) {
    this.key = key;
  }

  /** The stored text of a details object. */
  encode(details: Readonly<Record<string, unknown>>): string {
    const json = JSON.stringify(details);
    return this.key ? this.key.encrypt(json) : json;
  }

  /** The JSON text of stored details: plain rows as they are, encrypted rows decrypted. */
  decodeText(stored: string): string {
    if (!isPossiblyEncrypted(stored)) return stored;
    if (!this.key) {
      throw new DecryptionError('Stored credentials are encrypted, but MB_ENCRYPTION_SECRET_KEY is not set.');
    }
    return this.key.decrypt(stored);
  }

  decode(stored: string): Record<string, unknown> {
    const text = this.decodeText(stored);
    return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  }
}

export const PLAIN_CODEC = new DetailsCodec(null);

/** The codec of a secret (MB_ENCRYPTION_SECRET_KEY); null or "" stores plain JSON. Derives the key. */
export function codecForSecret(secret: string | null): DetailsCodec {
  return secret ? new DetailsCodec(new EncryptionKey(secret)) : PLAIN_CODEC;
}

const codecs = new WeakMap<AppDb, DetailsCodec>();

/** Start-up binds the process's codec to its application database; an unbound database stores plain JSON. */
export function bindDetailsCodec(appDb: AppDb, codec: DetailsCodec): void {
  codecs.set(appDb, codec);
}

export function detailsCodecOf(appDb: AppDb): DetailsCodec {
  return codecs.get(appDb) ?? PLAIN_CODEC;
}

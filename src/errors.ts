// Error classes with stable codes and HTTP statuses, and the sanitizer every stored or returned message passes.

/** An error the HTTP layer renders as-is: status plus a body that is already in the contract's shape. */
export class HttpError extends Error {
  readonly status: number;
  readonly body: unknown;
  readonly contentType: 'json' | 'text';

  constructor(status: number, body: unknown, contentType: 'json' | 'text') {
    super(typeof body === 'string' ? body : `HTTP ${status}`);
    this.name = 'HttpError';
    this.status = status;
    this.body = body;
    this.contentType = contentType;
  }
}

/** Invalid settings: start-up stops with this one-line message. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

// A key that names a credential: password, passwd, passphrase, pwd, token, secret, api key, private key, credential(s),
// alone or inside a longer name (PGPASSWORD, db_password, aws_secret_access_key, MB_ADMIN_API_KEY).
const SECRET_KEY = String.raw`[\w.-]*?(?:password|passwd|passphrase|pwd|token|secret|api[_-]?key|private[_-]?key|credentials?)[\w.-]*`;
// The key, optionally quoted, then = or : (JSON's `"password": "x"`, a connection string's `password='x'`).
const SECRET_PAIR = new RegExp(
  String.raw`(["']?\b${SECRET_KEY}["']?\s*[=:]\s*)("(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|[^\s,;)}\]&]+)`,
  'gi',
);

/**
 * Removes credentials from a message (sync-engine.md section 9.7): URIs lose their user-info and query strings,
 * credential values (bare, quoted, JSON-quoted, key=value, `Authorization` schemes) are masked, and only the first
 * line is kept (no stack traces).
 */
export function sanitize(message: string, secrets: readonly string[] = []): string {
  let text = String(message).split('\n')[0] ?? '';
  for (const secret of secrets) if (secret) text = text.split(secret).join('***');
  text = text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/"'<>]*@/gi, '$1');
  text = text.replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s?#"']*)[?#][^\s"']*/gi, '$1');
  text = text.replace(SECRET_PAIR, (_match, key: string, value: string) => {
    const quote = value.startsWith('"') || value.startsWith("'") ? value[0] : '';
    return `${key}${quote}***${quote}`;
  });
  text = text.replace(/\b(bearer|basic|digest)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 ***');
  return text;
}

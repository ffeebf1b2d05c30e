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

/**
 * Removes credentials from a message (sync-engine.md section 9.7): URIs lose their user-info and query strings,
 * password/token/secret values are masked, and only the first line is kept (no stack traces).
 */
export function sanitize(message: string, secrets: readonly string[] = []): string {
  let text = String(message).split('\n')[0] ?? '';
  text = text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1');
  text = text.replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s?#]*)[?#][^\s]*/gi, '$1');
  text = text.replace(/\b(password|passwd|pwd|token|secret|api[_-]?key)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;)]+)/gi, '$1$2***');
  for (const secret of secrets) if (secret) text = text.split(secret).join('***');
  return text;
}

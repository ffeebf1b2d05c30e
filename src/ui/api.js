// The admin key (kept in sessionStorage only, sent as X-API-KEY) and the JSON calls of the page.
const STORAGE_KEY = 'catalog-sync.admin-key';
const TIMEOUT_MS = 15_000;

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export const session = {
  get key() {
    return sessionStorage.getItem(STORAGE_KEY);
  },
  signIn(key) {
    sessionStorage.setItem(STORAGE_KEY, key);
  },
  signOut() {
    sessionStorage.removeItem(STORAGE_KEY);
  },
};

/** The message of a failed answer: the server's text, a JSON `message`, or the validation errors. */
function messageOf(status, text) {
  try {
    const body = JSON.parse(text);
    if (typeof body === 'string') return body;
    if (body && typeof body.message === 'string') return body.message;
    if (body && body.errors) return Object.entries(body.errors).map(([k, v]) => `${k}: ${v}`).join('; ');
  } catch {
    // plain text
  }
  return text || `HTTP ${status}`;
}

/** Calls the service with the admin key; resolves to the parsed JSON, rejects with an ApiError. */
export async function api(path, { method = 'GET', body, key = session.key } = {}) {
  const headers = { 'X-API-KEY': key ?? '' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      cache: 'no-store',
    });
  } catch (error) {
    const reason = error?.name === 'TimeoutError' ? 'the service did not answer in time' : 'the service is unreachable';
    throw new ApiError(0, `Request failed: ${reason}.`);
  }
  const text = await response.text();
  if (!response.ok) throw new ApiError(response.status, messageOf(response.status, text));
  return JSON.parse(text);
}

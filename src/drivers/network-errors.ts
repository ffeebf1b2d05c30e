// What the network-connected drivers (PostgreSQL, MySQL/MariaDB) share when they turn a client error into a
// DriverError: where they connect, the secrets to mask, and the words for the socket-level failures of 4.6.

export interface ErrorContext {
  readonly host: string;
  readonly port: number;
  readonly connectTimeoutMs: number;
  readonly secrets: readonly string[];
}

/** Node socket error codes that mean the warehouse cannot be reached (CONNECTION_FAILED), with their wording. */
export const CONNECT_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'temporary failure in name resolution',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset by peer',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed by the server',
};

/** The error context of a driver: its address, its connect timeout, and its password as the one secret to mask. */
export function errorContextOf(
  details: { readonly host: string; readonly port: number; readonly password?: string | null },
  options: { readonly connectTimeoutMs: number },
): ErrorContext {
  return Object.freeze({
    host: details.host,
    port: details.port,
    connectTimeoutMs: options.connectTimeoutMs,
    secrets: details.password ? [details.password] : [],
  });
}

// X-Catalog-Sync-Signature: `sha256=` and the hex HMAC-SHA256 of the raw request body, keyed with
// MB_SYNC_WEBHOOK_SECRET (the GitHub webhook scheme, so receivers can reuse their verification code).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Catalog-Sync-Signature';
export const DELIVERY_HEADER = 'X-Catalog-Sync-Delivery';

export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** What a receiver does: recompute the signature of the bytes it received and compare in constant time. */
export function verifySignature(secret: string, body: string | Buffer, header: string | undefined): boolean {
  if (header === undefined) return false;
  const expected = Buffer.from(signBody(secret, body));
  const received = Buffer.from(header);
  return expected.length === received.length && timingSafeEqual(expected, received);
}

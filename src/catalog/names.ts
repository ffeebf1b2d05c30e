// Identities and qualified names of catalog objects (sync-engine.md sections 3.1 and 8.6).

/** A map key for an exact (schema, name) identity; a null schema never equals the empty string. */
export function identityKey(schema: string | null, name: string): string {
  return JSON.stringify([schema, name]);
}

/** The same identity with case ignored, for the case-insensitive matching passes. */
export function foldedKey(schema: string | null, name: string): string {
  return JSON.stringify([schema?.toLowerCase() ?? null, name.toLowerCase()]);
}

/** `schema.table` or `schema.table.field`; a null schema and its dot are left out. */
export function qualifiedName(schema: string | null, ...names: string[]): string {
  return (schema === null ? names : [schema, ...names]).join('.');
}

/** Code-point (byte) order, the order of the driver streams (sync-engine.md section 4.3). */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders identities by (schema, name), a null schema first. */
export function compareIdentity(
  a: { readonly schema: string | null; readonly name: string },
  b: { readonly schema: string | null; readonly name: string },
): number {
  if (a.schema !== b.schema) {
    if (a.schema === null) return -1;
    if (b.schema === null) return 1;
    return compareBytes(a.schema, b.schema);
  }
  return compareBytes(a.name, b.name);
}

// Display names (sync-engine.md section 3.6.1): Metabase's `simple` humanization strategy, for tables and fields.

const ACRONYMS = new Set(['id', 'url', 'ip', 'uid', 'uuid', 'guid']);

function humanizePart(part: string): string {
  if (ACRONYMS.has(part.toLowerCase())) return part.toUpperCase();
  const chars = Array.from(part);
  const first = chars[0].toUpperCase();
  const rest = chars.slice(1).join('');
  const allUpper = part === part.toUpperCase() && part !== part.toLowerCase();
  return allUpper ? first + rest.toLowerCase() : first + rest;
}

/** `user_id` → `User ID`, `CUSTOMER_NAME` → `Customer Name`; camelCase is not split; empty results keep the name. */
export function humanize(name: string): string {
  const parts = name.split(/[-_\s]+/).filter((p) => p !== '');
  const result = parts.map(humanizePart).join(' ');
  return result === '' ? name : result;
}

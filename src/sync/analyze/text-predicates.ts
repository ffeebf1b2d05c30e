// The text predicates of the fingerprint's text shares (sync-engine.md 5.3), applied to values as sampled.

/** `{…`, or `[` followed (after whitespace) by anything but a word that begins with a letter, save true and false. */
export function isJsonLike(text: string): boolean {
  if (text.startsWith('{')) return true;
  if (!text.startsWith('[')) return false;
  const word = /^\s*([A-Za-z]\w*)/.exec(text.slice(1));
  return word === null || word[1] === 'true' || word[1] === 'false';
}

const URL_SCHEME = /^(?:https?|ftp):\/\//i;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** An absolute http, https or ftp URL whose host is localhost, an IP literal, or a dotted name ending in 2+ chars. */
export function isUrl(text: string): boolean {
  if (!URL_SCHEME.test(text)) return false;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  const host = url.hostname;
  if (host === 'localhost' || IPV4.test(host) || (host.startsWith('[') && host.endsWith(']'))) return true;
  const labels = host.split('.');
  return labels.length >= 2 && labels.every((label) => label !== '') && labels[labels.length - 1].length >= 2;
}

const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
const EMAIL = new RegExp(`^${ATOM}(?:\\.${ATOM})*@${LABEL}(?:\\.${LABEL})+$`);

/** Atom characters with single dots between runs, `@`, then at least two labels of letters, digits, inner hyphens. */
export function isEmail(text: string): boolean {
  return EMAIL.test(text);
}

const STATE_NAMES = [
  'Alabama', 'Alaska', 'Arizona', 'Arkansas', 'California', 'Colorado', 'Connecticut', 'Delaware', 'Florida', 'Georgia',
  'Hawaii', 'Idaho', 'Illinois', 'Indiana', 'Iowa', 'Kansas', 'Kentucky', 'Louisiana', 'Maine', 'Maryland',
  'Massachusetts', 'Michigan', 'Minnesota', 'Mississippi', 'Missouri', 'Montana', 'Nebraska', 'Nevada',
  'New Hampshire', 'New Jersey', 'New Mexico', 'New York', 'North Carolina', 'North Dakota', 'Ohio', 'Oklahoma',
  'Oregon', 'Pennsylvania', 'Rhode Island', 'South Carolina', 'South Dakota', 'Tennessee', 'Texas', 'Utah', 'Vermont',
  'Virginia', 'Washington', 'West Virginia', 'Wisconsin', 'Wyoming', 'District of Columbia',
];
const STATE_CODES = (
  'AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ ' +
  'NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC'
).split(' ');
const STATES: ReadonlySet<string> = new Set([...STATE_NAMES, ...STATE_CODES].map((s) => s.toLowerCase()));

/** One of the 50 US states, the District of Columbia, or their USPS codes, trimmed and ignoring case. */
export function isState(text: string): boolean {
  return STATES.has(text.trim().toLowerCase());
}

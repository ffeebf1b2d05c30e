// Reads the config file's YAML keeping every node's line (curation-notes.md section 2), so that each problem is
// reported as `<file>:<line>: <key path> …`. Nothing here prints a value: YAML's own messages are cut before their
// source excerpt, which could show a password.
import { basename } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { ConfigError } from '../errors.ts';

export type KeyPath = readonly (string | number)[];

export interface ParsedFile {
  /** The document as plain data (maps, arrays, strings, numbers, booleans, null). */
  readonly value: unknown;
  /** The 1-based line of the key or item at `path`, or of its nearest ancestor present in the file. */
  lineOf(path: KeyPath): number;
  /** `<file name>:<line>: <message>`. */
  problem(path: KeyPath, message: string): string;
}

/** A file that cannot be used: `problems` holds one line per problem; the message (start-up's one line) the first. */
export class ConfigFileError extends ConfigError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more; see catalog-sync config validate)` : '';
    super(`${problems[0] ?? 'the config file cannot be used'}${more}`);
    this.problems = problems;
  }
}

/** `config.databases[1].engine` */
export function formatPath(path: KeyPath): string {
  return path.map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : i === 0 ? segment : `.${segment}`)).join('');
}

export function parseConfigText(text: string, file: string): ParsedFile {
  const name = basename(file);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigFileError(
      doc.errors.map((error) => {
        const line = lines.linePos(error.pos[0]).line;
        return `${name}:${line}: not valid YAML: ${error.message.split(/ at line \d+/)[0]!.split('\n')[0]}`;
      }),
    );
  }
  const lineOf = (path: KeyPath): number => {
    let node: unknown = doc.contents;
    let line = node && (node as Node).range ? lines.linePos((node as Node).range![0]).line : 1;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((item) => (item.key as { value?: unknown } | null)?.value === segment);
        if (!pair) break;
        const key = pair.key as Node;
        if (key.range) line = lines.linePos(key.range[0]).line;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number' && node.items[segment]) {
        node = node.items[segment];
        const range = (node as Node).range;
        if (range) line = lines.linePos(range[0]).line;
      } else {
        break;
      }
    }
    return line;
  };
  return {
    value: doc.toJS({ maxAliasCount: 100 }) as unknown,
    lineOf,
    problem: (path, message) => `${name}:${lineOf(path)}: ${formatPath(path)} ${message}`,
  };
}

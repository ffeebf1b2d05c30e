// The child process that owns one read-only better-sqlite3 handle (sync-engine.md section 4.6): better-sqlite3 is
// synchronous, so warehouse queries run here, never on the service's event loop. Plain JavaScript: it starts without
// tsx (its execArgv is cleared), which keeps start-up short. Protocol (one answer per request, one request at a time):
//   ← {type: 'ready'} once listening
//   → {type: 'query', sql, params, chunkSize, data}
//                                              ← {type: 'rows', rows, done, columns} | {type: 'error', phase, code, message}
//   → {type: 'next'}                            ← the same answers, for the next chunk of the open query
//   → {type: 'cancel'}                          (no answer) closes the open query early
// The file is opened at the first query; errors while opening are reported with phase 'open'. A data query (`data`
// true) returns rows as arrays with integers as BigInts (no precision lost), and its first answer carries `columns`,
// the declared type of each result column (null for an expression).
import { statSync } from 'node:fs';
import Database from 'better-sqlite3';

const file = process.argv[2];
let db = null;
let rows = null;
let chunkSize = 1000;
let columns = null;

function open() {
  let stat;
  try {
    stat = statSync(file);
  } catch (error) {
    if (error.code === 'ENOENT') throw Object.assign(new Error('file does not exist'), { code: 'ENOENT' });
    throw error;
  }
  if (!stat.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTFILE' });
  const handle = new Database(file, { readonly: true, fileMustExist: true });
  try {
    handle.pragma('query_only = 1');
    // Reading the schema makes a file that is not a database fail here (SQLITE_NOTADB) rather than at the first query.
    handle.pragma('schema_version');
  } catch (error) {
    handle.close();
    throw error;
  }
  return handle;
}

function fail(phase, error) {
  rows = null;
  const code = typeof error?.code === 'string' ? error.code : null;
  process.send({ type: 'error', phase, code, message: String(error?.message ?? error) });
}

function sendChunk() {
  const chunk = [];
  let done = false;
  try {
    while (chunk.length < chunkSize) {
      const next = rows.next();
      if (next.done) {
        done = true;
        break;
      }
      chunk.push(next.value);
    }
  } catch (error) {
    fail('query', error);
    return;
  }
  if (done) rows = null;
  process.send({ type: 'rows', rows: chunk, done, columns });
  columns = null;
}

function query(message) {
  rows?.return();
  rows = null;
  columns = null;
  if (db === null) {
    try {
      db = open();
    } catch (error) {
      fail('open', error);
      return;
    }
  }
  try {
    chunkSize = message.chunkSize;
    const statement = db.prepare(message.sql);
    if (message.data) {
      statement.raw(true).safeIntegers(true);
      columns = statement.columns().map((column) => column.type);
    }
    rows = statement.iterate(...message.params);
  } catch (error) {
    fail('query', error);
    return;
  }
  sendChunk();
}

process.on('message', (message) => {
  if (message.type === 'query') query(message);
  else if (message.type === 'next') {
    if (rows === null) fail('query', new Error('no open query'));
    else sendChunk();
  } else if (message.type === 'cancel') {
    rows?.return();
    rows = null;
  }
});

// The parent went away (closed the channel, exited or crashed): release the file and end.
process.on('disconnect', () => {
  rows?.return();
  db?.close();
  process.exit(0);
});

process.send({ type: 'ready' });

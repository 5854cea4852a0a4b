import {
  StorageError,
  DocumentNotFoundError,
  ValidationError,
  type CollectionStore,
  type StoredChange,
  type Filter,
  type FindQuery,
  type JsonValue,
  type QueryExplanation,
  type StoredDocument,
  type WriteOperation,
  type WriteResult,
} from '@pocket/core';
import { project, applyWrite, checkRevision, type DocumentState, measured, type MeteredStore, type OperationMeter } from '@pocket/core/adapter';
import { PartialBatchError, type PlannedStatement, type Row, type SqlDriver, type SqlFragment } from './statement.js';
import { assertTableName, quoteIdentifier } from './identifiers.js';
import { createIndexSql, createTableStatements, type IndexKey } from './schema.js';
import { explanation } from './explain.js';
import { compileCount, compileFind } from './select.js';
import type { SqlLimits } from './limits.js';
import { fitStatement } from './parameters.js';
import { bindList, sql } from './parts.js';
import { collectResults, parse, planWrites } from './writes.js';
import { PRECONDITION_GUARD, TOO_LARGE_GUARD } from './guards.js';
import type { UpdateCache } from './updates.js';
import { DUPLICATE_GUARD } from './inserts.js';
import { OVERFLOW_GUARD, WRONG_TYPE_GUARD } from './operators.js';
import { feedColumnsSql, LIVE, REVISION } from './revisions.js';

/**
 * Per backend, what this isolate knows of each table's declared indexes (by their DDL): made,
 * the table missing, or the DDL in flight. See `#ensureIndexes`.
 */
const INDEX_STATES = new WeakMap<object, Map<string, 'done' | 'absent' | Promise<void>>>();
const MAX_REMEMBERED_TABLES = 1000;

/** What SQLite says to a statement on a table that predates the change feed: a read or update names the column, an insert the table's. */
const FEED_COLUMN_MISSING = /no such column: _(seq|deleted)|has no column named _(seq|deleted)/;

/** What a write that cannot create a table gets when its table is missing. */
const NO_TABLE: unique symbol = Symbol('no table');

/** Writes to a collection without a table, answered as for an empty one (nothing to delete or update). */
function emptyTableResults(collection: string, operations: readonly WriteOperation[]): WriteResult[] {
  return operations.map((op) => {
    if (op.type === 'update') throw new DocumentNotFoundError(collection, op.id);
    if (op.type === 'delete') {
      if (op.expectedRev !== undefined) checkRevision(collection, op.id, op.expectedRev, null, true);
      return { type: 'delete', id: op.id, deleted: false };
    }
    throw new Error(`a ${op.type} reached a write that cannot create its table`); // creates is false only without them
  });
}

export interface SqlStoreOptions {
  collection: string;
  /** The unquoted table name: prefix + collection. */
  table: string;
  driver: SqlDriver;
  limits: SqlLimits;
  /** Indexes to create with the table, and on a table that exists, each a list of keys. */
  indexes: ReadonlyArray<readonly IndexKey[]>;
  /**
   * The backend (the D1 binding, the object's storage): the isolate remembers per backend which
   * tables have their declared indexes, so they are created once, not on every request.
   */
  backend: object;
  /** The adapter's name and the collection's context, for the operation hook (`measured`). */
  metered: MeteredStore;
}

/**
 * A collection stored as one SQLite table of JSON documents, shared by D1 and SQLite-backed
 * Durable Objects. Every read is one statement; every write batch is one transaction where the
 * driver has them. The table is created the first time a statement finds it missing, so a
 * table that exists costs no extra round trip, however often the adapter is created.
 */
export function createSqlStore(options: SqlStoreOptions): CollectionStore {
  return new SqlStore(options);
}

/**
 * A class, not a closure over the options: a Worker may make a store per collection on every
 * request, and methods on a prototype cost nothing to make, where closures would be made each time.
 *
 * Each method goes straight from the driver's answer to its own when the driver is synchronous
 * (SQLite storage), with no promise in between but the one it returns: a get there takes
 * microseconds, so every awaited layer between the driver and the caller is a large share of it
 * (docs/performance.md compares Pocket with raw code).
 */
class SqlStore implements CollectionStore {
  readonly #options: SqlStoreOptions;
  readonly #metered: MeteredStore;
  /** The quoted table name. */
  readonly #table: string;
  /** Single-update statements, made on the first update. */
  #updates: UpdateCache | undefined;

  constructor(options: SqlStoreOptions) {
    assertTableName(options.table, options.collection);
    this.#options = options;
    this.#metered = options.metered;
    this.#table = quoteIdentifier(options.table);
  }

  getMany(ids: readonly string[]): Promise<Array<StoredDocument | null>> {
    return measured(this.#metered, 'get', (meter) =>
      settle(() => {
        const table = this.#table;
        if (ids.length === 1) {
          // The common get(id): the row is the answer, no need to read _id back.
          const rows = this.#read('get', { sql: `SELECT data FROM ${table} WHERE _id = ? AND ${LIVE}`, params: [ids[0]] }, meter);
          return after(rows, ([row]) => [row === undefined ? null : parse(row.data as string)]);
        }
        const rows = this.#read('get', this.#byIds('_id, data', ids, ` AND ${LIVE}`), meter);
        return after(rows, (found) => {
          const byId = new Map(found.map((r) => [r._id as string, r.data as string]));
          return ids.map((id) => {
            const data = byId.get(id);
            return data === undefined ? null : parse(data);
          });
        });
      }),
    );
  }

  find(query: FindQuery): Promise<StoredDocument[]> {
    return measured(this.#metered, 'find', (meter) =>
      settle(() => {
        const compiled = compileFind(this.#table, query, this.#options.limits);
        const { residual, skip, limit, select } = compiled;
        return after(this.#read('find', compiled, meter), (rows) => {
          if (select !== null) return rows.map((r) => projectedRow(r, select));
          if (residual === null) return rows.map((r) => parse(r.data as string));
          const kept: StoredDocument[] = [];
          for (const row of rows) {
            const doc = parse(row.data as string);
            if (residual.keep(row, doc)) kept.push(doc);
          }
          const page = kept.slice(skip, limit === null ? undefined : skip + limit);
          const fields = query.select;
          return fields == null ? page : page.map((doc) => project(doc, fields));
        });
      }),
    );
  }

  explain(query: FindQuery): Promise<QueryExplanation> {
    return measured(this.#metered, 'explain', (meter) =>
      settle(() => {
        const compiled = compileFind(this.#table, query, this.#options.limits);
        const plan = this.#read('explain', { sql: `EXPLAIN QUERY PLAN ${compiled.sql}`, params: compiled.params }, meter, [
          { detail: `no table ${this.#options.table} yet: the collection is empty, and its first write creates it` },
        ]);
        return after(plan, (rows) =>
          explanation(
            this.#options.table,
            query,
            compiled,
            rows.map((r) => String(r.detail)),
          ),
        );
      }),
    );
  }

  count(filter: Filter | null): Promise<number> {
    return measured(this.#metered, 'count', (meter) =>
      settle(() => {
        const compiled = compileCount(this.#table, filter, this.#options.limits);
        const { residual } = compiled;
        return after(this.#read('count', compiled, meter, residual === null ? [{ n: 0 }] : []), (rows) =>
          residual === null ? Number(rows[0]?.n ?? 0) : rows.filter((r) => residual.keep(r, parse(r.data as string))).length,
        );
      }),
    );
  }

  write(operations: readonly WriteOperation[]): Promise<WriteResult[]> {
    return measured(this.#metered, 'write', (meter) =>
      settle(() => {
        const plan = planWrites(this.#table, operations, this.#options.limits, (this.#updates ??= new Map()));
        const done = (rows: Row[][] | typeof NO_TABLE): WriteResult[] | Promise<WriteResult[]> => {
          if (rows === NO_TABLE) return emptyTableResults(this.#options.collection, operations);
          const results = collectResults(operations, plan, rows);
          // A lone write whose condition failed changed nothing; say why.
          const unmet = operations.some(
            (op, i) => results[i] === undefined || (op.type === 'delete' && op.expectedRev !== undefined && !(results[i] as { deleted: boolean }).deleted),
          );
          return unmet ? this.#explainFailure(operations, null) : (results as WriteResult[]);
        };
        // Only a write that can add a document creates a missing table: deletes and updates of a
        // collection without one answer as for an empty one, and create nothing.
        const creates = operations.some((op) => op.type === 'insert' || op.type === 'upsert');
        // withTable does not throw: a failed batch is always a rejected promise.
        const rows = this.#withTable(() => this.#options.driver.batch(plan, meter), { create: creates, write: true });
        return rows instanceof Promise ? rows.then(done, (error: unknown) => this.#writeFailed(operations, plan, error)) : done(rows);
      }),
    );
  }

  changes(since: number, limit: number): Promise<{ changes: StoredChange[]; checkpoint: number }> {
    return measured(this.#metered, 'changes', (meter) =>
      settle(() => {
        // The high-water mark row ('' is no document's id) only keeps the sequence from going back.
        const rows = this.#read(
          'changes',
          { sql: `SELECT _id, data, _seq, _deleted FROM ${this.#table} WHERE _seq > ? AND _id <> '' ORDER BY _seq LIMIT ${limit}`, params: [since] },
          meter,
        );
        return after(rows, (found) => {
          const changes = found.map((row): StoredChange => {
            const deleted = row._deleted !== null && row._deleted !== undefined;
            const doc = parse(row.data as string);
            return { id: row._id as string, rev: doc._rev as number, deleted, doc: deleted ? null : doc, seq: Number(row._seq) };
          });
          return { changes, checkpoint: changes.at(-1)?.seq ?? since };
        });
      }),
    );
  }

  purgeTombstones(through: number | null): Promise<number> {
    return measured(this.#metered, 'purge', (meter) =>
      settle(() => {
        const table = this.#table;
        // The newest write's number is kept in a row of its own first, so that removing its
        // tombstone cannot hand the number out again (and a reader at that checkpoint miss a write).
        const plan: SqlFragment[] = [
          {
            sql: `INSERT INTO ${table} (_id, data, _seq, _deleted) SELECT '', '{}', max(_seq), 2 FROM ${table} WHERE true ON CONFLICT (_id) DO UPDATE SET _seq = excluded._seq`,
            params: [],
          },
          {
            sql: `DELETE FROM ${table} WHERE _deleted = 1${through === null ? '' : ' AND _seq <= ?'} RETURNING _id`,
            params: through === null ? [] : [through],
          },
        ];
        const rows = this.#withTable(() => this.#options.driver.batch(plan, meter), { create: false, write: true });
        const count = (found: Row[][] | typeof NO_TABLE) => (found === NO_TABLE ? 0 : (found[1]?.length ?? 0));
        return rows instanceof Promise
          ? rows.then(count, (error: unknown) => Promise.reject(this.#options.driver.wrap(error, 'purge tombstones')))
          : count(rows);
      }),
    );
  }

  /**
   * Runs `run` once the declared indexes exist (see `#ensureIndexes`; `write` says whether this
   * is a write); if the table is missing, creates it and runs `run` again, or with
   * `create: false` answers `NO_TABLE`. Never throws: rejects.
   */
  #withTable<R>(run: () => R | Promise<R>, { create, write }: { create: boolean; write: boolean }): R | typeof NO_TABLE | Promise<R | typeof NO_TABLE> {
    const indexed = this.#ensureIndexes(write);
    return indexed instanceof Promise ? indexed.then(() => this.#withTableNow(run, create)) : this.#withTableNow(run, create);
  }

  /** The declared indexes' DDL, made on first use: it also names them in the isolate's memory. */
  #indexDdl: SqlFragment[] | undefined;
  #indexStatements(): SqlFragment[] {
    const { indexes, table } = this.#options;
    return (this.#indexDdl ??= indexes.map((keys) => ({ sql: createIndexSql(table, keys), params: [] })));
  }

  /** What identifies this table's declared indexes in the isolate's memory of them. */
  #indexKeyText: string | undefined;
  #indexKey(): string {
    return (this.#indexKeyText ??= this.#indexStatements()
      .map((d) => d.sql)
      .join(';'));
  }

  /**
   * Creates the declared indexes on a table that exists (`IF NOT EXISTS`: a no-op where they
   * are), the first time this isolate uses the table through this backend: a table made by a
   * migration, or before an index was declared, gets them too. The isolate remembers the answer
   * per backend: done; or the table was missing (reads then skip this until a write, which
   * creates the table with its indexes or finds it made by someone else); or the DDL in flight,
   * which requests that start meanwhile wait for instead of sending it again. An index is an
   * optimisation: if SQLite cannot build one (a row that is not JSON, written by other code),
   * the operation runs all the same, the reason is logged, and it is tried again only after a
   * failure the backend calls transient.
   */
  #ensureIndexes(forWrite: boolean): void | Promise<void> {
    const { indexes, table, driver, backend } = this.#options;
    if (indexes.length === 0) return;
    const key = this.#indexKey();
    let states = INDEX_STATES.get(backend);
    if (states === undefined) INDEX_STATES.set(backend, (states = new Map()));
    const state = states.get(key);
    if (state === 'done' || (state === 'absent' && !forWrite)) return;
    if (state instanceof Promise) return state;
    // Table names can come from requests (tenant prefixes): the memory stays bounded.
    if (states.size >= MAX_REMEMBERED_TABLES) states.clear();
    const known = states;
    const failed = (error: unknown): void | Promise<void> => {
      const message = messageOf(error);
      if (message.includes('no such table')) return void known.set(key, 'absent');
      // A table of the first release: the indexes hold live rows only, named by a column it lacks.
      if (FEED_COLUMN_MISSING.test(message)) {
        const retried = this.#addFeedColumns().then(() => driver.batch(this.#indexStatements()));
        const pending = retried.then(
          () => void known.set(key, 'done'),
          (again: unknown) => failedAgain(again),
        );
        known.set(key, pending);
        return pending;
      }
      return failedAgain(error);
    };
    const failedAgain = (error: unknown): void => {
      const message = messageOf(error);
      const wrapped = driver.wrap(error, `create the declared indexes of ${table}`);
      if (wrapped instanceof StorageError && wrapped.retryable) known.delete(key);
      else known.set(key, 'done');
      console.warn(`[pocket] the declared indexes of ${table} could not be created; queries run without them:`, message);
    };
    try {
      const result = driver.batch(this.#indexStatements());
      if (!(result instanceof Promise)) return void known.set(key, 'done');
      const pending = result.then(() => void known.set(key, 'done'), failed);
      known.set(key, pending);
      return pending;
    } catch (error) {
      return failed(error);
    }
  }

  #withTableNow<R>(run: () => R | Promise<R>, create: boolean): R | typeof NO_TABLE | Promise<R | typeof NO_TABLE> {
    const missing = (error: unknown): Promise<R | typeof NO_TABLE> => {
      const message = messageOf(error);
      // A read or update names the column ("no such column"), an insert the table's ("has no column named").
      if (FEED_COLUMN_MISSING.test(message)) return this.#addFeedColumns().then(run);
      return !create && message.includes('no such table') ? Promise.resolve(NO_TABLE) : this.#createTableAndRetry(error, run);
    };
    let result: R | Promise<R>;
    try {
      result = run();
    } catch (error) {
      return missing(error);
    }
    return result instanceof Promise ? result.catch(missing) : result;
  }

  /**
   * Gives a table made before revisions (by the first release, or the documented migration)
   * the feed's columns and index, then runs `run` again. Another isolate may do the same at the
   * same time: a column it added first fails this batch as a duplicate, and is then there.
   */
  async #addFeedColumns(): Promise<void> {
    const { driver, table } = this.#options;
    try {
      await driver.batch(feedColumnsSql(this.#table).map((sql) => ({ sql, params: [] })));
    } catch (error) {
      if (!messageOf(error).includes('duplicate column')) throw driver.wrap(error, `add the change feed's columns to ${table}`);
    }
  }

  async #createTableAndRetry<R>(error: unknown, run: () => R | Promise<R>): Promise<R> {
    if (!messageOf(error).includes('no such table')) throw error;
    const { table, indexes, driver } = this.#options;
    const ddl: SqlFragment[] = [...createTableStatements(table).map((sql) => ({ sql, params: [] })), ...this.#indexStatements()];
    try {
      await driver.batch(ddl);
      if (indexes.length > 0) INDEX_STATES.get(this.#options.backend)?.set(this.#indexKey(), 'done');
    } catch (ddlError) {
      throw driver.wrap(ddlError, `create table ${table}`);
    }
    return run();
  }

  /**
   * The statement's rows; a failure is a rejection with the adapter's error type. A read never
   * creates the table: where it is missing the collection is empty, and `absent` is the answer
   * (a count of 0, no rows). Otherwise any caller able to name a collection could make tables.
   */
  #read(operation: string, statement: SqlFragment, meter: OperationMeter | undefined, absent: Row[] = []): Row[] | Promise<Row[]> {
    const { driver } = this.#options;
    const rows = this.#withTable(() => driver.all(statement, meter), { create: false, write: false });
    if (!(rows instanceof Promise)) return rows === NO_TABLE ? absent : rows;
    return rows.then(
      (found) => (found === NO_TABLE ? absent : found),
      (error: unknown) => Promise.reject(driver.wrap(error, operation)),
    );
  }

  /**
   * `SELECT <columns>` of the rows with these ids, as one statement whatever their number: a list
   * past `maxPackedBytes` is read from several JSON parameters (`fitStatement`), so 60,000 ids
   * are one read of one snapshot, as 6 are.
   */
  #byIds(columns: string, ids: readonly string[], and: string): SqlFragment {
    return fitStatement(sql`SELECT ${columns} FROM ${this.#table} WHERE _id IN ${bindList(JSON.stringify(ids))}${and}`, this.#options.limits);
  }

  /** Each id's row as a document state: live (with its document), a tombstone, or absent. */
  async #states(ids: readonly string[]): Promise<Map<string, DocumentState>> {
    const rows = await this.#read('read the documents of a failed write', this.#byIds('_id, data, _deleted', ids, ''), undefined);
    return new Map(
      rows.map((r) => {
        const doc = parse(r.data as string);
        return [r._id as string, { doc: r._deleted === null || r._deleted === undefined ? doc : null, rev: doc._rev as number }];
      }),
    );
  }

  /**
   * Throws the error of the first write that cannot apply, found by replaying the batch with
   * core's `applyWrite` over the documents as they are now: a missing document, another
   * revision, an id taken, an operator on a field of the wrong type. Each write is judged after
   * the ones before it, as SQLite ran them, and the error is the one every other store throws
   * for that write. Read after the batch failed or changed nothing, so it explains; it decides
   * nothing.
   */
  async #explainFailure(operations: readonly WriteOperation[], cause: unknown): Promise<never> {
    const { collection } = this.#options;
    const states = await this.#states(operations.map((op) => (op.type === 'insert' || op.type === 'upsert' ? op.doc._id : op.id)));
    for (const op of operations) {
      const id = op.type === 'insert' || op.type === 'upsert' ? op.doc._id : op.id;
      let next: DocumentState | null;
      try {
        ({ next } = applyWrite(collection, op, states.get(id)));
      } catch (error) {
        if (cause !== null && error instanceof Error && error.cause === undefined)
          Object.defineProperty(error, 'cause', { value: cause, configurable: true, writable: true });
        throw error;
      }
      if (next !== null) states.set(id, next);
    }
    throw new StorageError(
      `A write to collection "${collection}" did not apply, though every document is as it expected; another write may have run at the same time. Nothing was written; try again.`,
      { ...(cause === null ? {} : { cause }), retryable: true },
    );
  }

  /** Turns a failed write batch into the error that says what went wrong. */
  async #writeFailed(operations: readonly WriteOperation[], plan: readonly PlannedStatement[], error: unknown): Promise<never> {
    const { collection, limits, driver } = this.#options;
    const message = messageOf(error);
    if (message.includes(DUPLICATE_GUARD) || message.includes(PRECONDITION_GUARD) || message.includes('UNIQUE constraint failed')) {
      // Without transactions, the writes of the statements before the failing one happened.
      const applied = error instanceof PartialBatchError ? new Set(plan.slice(0, error.applied).flatMap((s) => s.ops)) : null;
      return this.#explainFailure(applied === null ? operations : operations.filter((_, i) => !applied.has(i)), error);
    }
    if (message.includes(WRONG_TYPE_GUARD) || message.includes(OVERFLOW_GUARD)) {
      // The guard names an operator's position in its write, not the write, and SQLite checks a
      // write's operators last to first: replaying finds the one every other store names.
      await this.#explainFailure(operations, error).catch((explained: unknown) => {
        if (!(explained instanceof StorageError)) throw explained;
      });
    }
    for (const guard of [WRONG_TYPE_GUARD, OVERFLOW_GUARD]) {
      const at = message.indexOf(guard);
      if (at < 0) continue;
      // The guard names the operator's position in its write; the write is the first with one there.
      const index = Number.parseInt(message.slice(at + guard.length), 10);
      const op = operations.find((o) => (o.type === 'update' || o.type === 'upsert') && o.operators?.[index] !== undefined) as
        { operators: Array<{ kind: string; field: string }>; id?: string; doc?: { _id: string } } | undefined;
      const operator = op?.operators[index];
      const where = `field "${operator?.field}"${operations.length === 1 ? ` of document "${op?.id ?? op?.doc?._id}"` : ''} in collection "${collection}"`;
      throw new ValidationError(
        guard === OVERFLOW_GUARD
          ? `increment() of ${where} would pass the largest number JSON can hold; nothing was written.`
          : `${operator?.kind ?? 'A field operator'}() needs ${operator?.kind === 'increment' ? 'a number' : 'an array'} in ${where}, which holds another type; nothing was written.`,
        { cause: error, ...(operator === undefined ? {} : { path: operator.field }) },
      );
    }
    if (message.includes(TOO_LARGE_GUARD)) {
      const ids = operations.flatMap((op) => (op.type === 'update' ? [op.id] : []));
      throw new ValidationError(
        `${ids.length === 1 ? `The update of document "${ids[0]}"` : 'An update'} in collection "${collection}" would make a document larger than ${limits.maxDocumentBytes} bytes of JSON; nothing was written. Split the document, or store large values elsewhere.`,
        { cause: error },
      );
    }
    if (/too big|SQLITE_TOOBIG/i.test(message)) {
      throw new ValidationError(
        `A write to collection "${collection}" would store a row larger than the backend allows; nothing was written. Keep documents under ${limits.maxDocumentBytes} bytes of JSON.`,
        { cause: error },
      );
    }
    throw driver.wrap(error, 'write');
  }
}

/** `run()` as a promise: resolved with its value, or rejected with what it threw. */
function settle<R>(run: () => R | Promise<R>): Promise<R> {
  try {
    // A promise passes through Promise.resolve as it is, without another turn.
    return Promise.resolve(run());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** `use(value)`, at once when the value is already there, else when the promise resolves. */
function after<T, R>(value: T | Promise<T>, use: (value: T) => R): R | Promise<R> {
  return value instanceof Promise ? value.then(use) : use(value);
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

/** A document from a projected row: `_id`, and each field whose column is not NULL (JSON text). */
function projectedRow(row: Row, fields: readonly string[]): StoredDocument {
  const doc: StoredDocument = { _id: row._id as string, _rev: Number(row._rev) };
  fields.forEach((field, i) => {
    const text = row[`p${i}`];
    if (text !== null && text !== undefined) doc[field] = JSON.parse(text as string) as JsonValue;
  });
  return doc;
}

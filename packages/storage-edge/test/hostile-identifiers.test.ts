// Hostile identifiers on the edge adapters: D1 table prefixes built from tenant ids, collection
// names that would name SQLite's or Cloudflare's own tables, index paths, Durable Object key
// prefixes. Each is refused with a ValidationError or stored in a place of its own; none changes
// what a statement does (every table is still there afterwards) or reaches another tenant's data.
import { Database, PocketError, ValidationError, type AnyDocument, type StorageAdapter } from '@pocket/core';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createD1Storage, createDurableObjectSqlStorage, createDurableObjectStorage, d1SchemaSql, initializeD1Schema } from '../src/index.js';
import { inObject } from './do-helpers.js';

/** Tenant ids an attacker might send; the app builds `tenant_${id}_` from them. */
const HOSTILE_TENANTS: readonly string[] = [
  `acme'; DROP TABLE tenant_acme_todos; --`,
  `acme"; DROP TABLE tenant_acme_todos; --`,
  `acme; DELETE FROM tenant_acme_todos`,
  `acme/* */`,
  `acme --`,
  `..`,
  `../acme`,
  `acme.todos`,
  `ACME`,
  `Acme`,
  `GLOBEX`,
  `acmé`,
  `😀`,
  `acme\u0000`,
  `acme\n`,
  `acme `,
  `x`.repeat(60),
];

/** Tenant ids that are odd but only ever name tables of their own. */
const ODD_TENANTS: readonly string[] = ['', '__proto__', 'constructor', 'acme--', '-', 'sqlite', '_cf', '0', 'acme_', 'acme_todos'];

const RESERVED_TABLES = ['sqlite_master', 'sqlite_schema', 'sqlite_sequence', 'sqlite_stat1', '_cf_KV', '_cf_METADATA', 'SQLITE_MASTER', '_CF_kv'];

const acmeDocs = [
  { _id: 'a1', title: 'acme secret', owner: 'acme' },
  { _id: 'a2', title: `'); DROP TABLE tenant_globex_todos; --`, owner: 'acme' },
];
const globexDocs = [{ _id: 'a1', title: 'globex secret', owner: 'globex' }];
/** The documents as stored, each at its first revision. */
const asStored = <T extends object>(docs: readonly T[]) => docs.map((doc) => ({ ...doc, _rev: 1 }));

async function d1Tables(): Promise<string[]> {
  const { results } = await env.DB.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all<{ name: string }>();
  return results.map((r) => r.name);
}

async function refused(run: () => unknown, label: string): Promise<void> {
  let error: unknown;
  try {
    await run();
  } catch (caught) {
    error = caught;
  }
  expect(error, label).toBeInstanceOf(ValidationError);
  expect((error as PocketError).status, label).toBe(400);
}

/** Writes and reads through a tenant's storage; it must only ever see its own documents. */
async function useTenant(storage: StorageAdapter, tenant: string): Promise<void> {
  const todos = (await Database.create({ name: `tenant-${tenant}`, storage })).collection('todos');
  expect(await todos.find().exec(), `tenant ${JSON.stringify(tenant)} starts empty`).toEqual([]);
  await todos.insert({ _id: 'a1', title: `written by ${tenant}` });
  await todos.upsert({ _id: 'a2', title: tenant });
  expect(await todos.update('a1', { seen: true })).toMatchObject({ _id: 'a1', seen: true, _rev: 2 });
  expect((await todos.find().exec()).map((t: AnyDocument) => t.title)).toEqual([`written by ${tenant}`, tenant]);
  expect(await todos.bulkDelete(['a1', 'a2'])).toBe(2);
}

describe('D1 table prefixes from tenant ids', () => {
  it('refuses hostile tenant ids before any SQL runs, and leaves every tenant as it was', async () => {
    const acme = (await Database.create({ name: 'acme', storage: createD1Storage({ database: env.DB, tablePrefix: 'tenant_acme_' }) })).collection('todos');
    const globex = (await Database.create({ name: 'globex', storage: createD1Storage({ database: env.DB, tablePrefix: 'tenant_globex_' }) })).collection(
      'todos',
    );
    await acme.bulkInsert(acmeDocs);
    await globex.bulkInsert(globexDocs);
    const tables = await d1Tables();

    for (const tenant of HOSTILE_TENANTS) {
      const prefix = `tenant_${tenant}_`;
      const label = `tenant ${JSON.stringify(tenant)}`;
      await refused(() => createD1Storage({ database: env.DB, tablePrefix: prefix }), label);
      await refused(() => initializeD1Schema(env.DB, { collections: ['todos'], tablePrefix: prefix }), label);
      await refused(() => d1SchemaSql({ collections: ['todos'], tablePrefix: prefix }), label);
    }
    for (const tenant of ODD_TENANTS) await useTenant(createD1Storage({ database: env.DB, tablePrefix: `tenant_${tenant}_` }), tenant);

    expect(await d1Tables()).toEqual(expect.arrayContaining(tables));
    expect(await acme.find().exec()).toEqual(asStored(acmeDocs));
    expect(await globex.find().exec()).toEqual(asStored(globexDocs));
  });

  it('refuses a prefix that differs from another only in case: SQLite table names ignore case', async () => {
    const acme = (await Database.create({ name: 'acme', storage: createD1Storage({ database: env.DB, tablePrefix: 'case_acme_' }) })).collection('todos');
    await acme.bulkInsert(acmeDocs);
    for (const prefix of ['case_ACME_', 'Case_acme_', 'CASE_ACME_']) {
      let error: unknown;
      try {
        createD1Storage({ database: env.DB, tablePrefix: prefix });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as Error).message).toContain('ignore case');
      expect((error as Error).message).toContain(JSON.stringify(prefix.toLowerCase()));
    }
    expect(await acme.find().exec()).toEqual(asStored(acmeDocs));
  });

  it('refuses collection names that, without a prefix, would name SQLite’s or Cloudflare’s own tables', async () => {
    const db = await Database.create({ name: 'bare', storage: createD1Storage({ database: env.DB, tablePrefix: '' }) });
    const tables = await d1Tables();
    for (const name of RESERVED_TABLES) {
      await refused(() => db.collection(name), `collection ${name}`);
      await refused(() => initializeD1Schema(env.DB, { collections: [name], tablePrefix: '' }), `schema ${name}`);
    }
    for (const prefix of ['sqlite_', '_cf_', 'sqlite_x_']) await refused(() => createD1Storage({ database: env.DB, tablePrefix: prefix }), `prefix ${prefix}`);
    // With the default prefix the same names are ordinary tables of Pocket's.
    const prefixed = await Database.create({ name: 'prefixed', storage: createD1Storage({ database: env.DB }) });
    for (const name of ['sqlite_master', '_cf_kv']) {
      await prefixed.collection(name).insert({ _id: name });
      expect(await prefixed.collection(name).find().exec()).toEqual([{ _id: name, _rev: 1 }]);
    }
    expect(await d1Tables()).toEqual(expect.arrayContaining([...tables, 'pocket_sqlite_master', 'pocket__cf_kv']));
  });

  it('quotes hostile index paths, and refuses those no quoting can carry', async () => {
    const evil = `x'); DROP TABLE idx_todos; --`;
    await initializeD1Schema(env.DB, { collections: ['todos'], tablePrefix: 'idx_', indexes: { todos: [evil, ['a b', 'é'], 'constructor.prototype'] } });
    const todos = (
      await Database.create({ name: 'idx', storage: createD1Storage({ database: env.DB, tablePrefix: 'idx_', indexes: { todos: [evil] } }) })
    ).collection('todos');
    await todos.insert({ _id: 't', [evil]: 1 });
    expect(await todos.find().where(evil).equals(1).count()).toBe(1);
    const { results } = await env.DB.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'idx_todos' ORDER BY name`).all<{
      name: string;
    }>();
    // Index names keep only letters and digits of the paths (and a hash of them), so nothing hostile reaches them.
    // (The first two are the change feed's, on the tombstones and on _seq.)
    expect(results.map((r) => r.name)).toEqual([
      'idx_todos:deleted',
      'idx_todos:seq',
      expect.stringMatching(/^idx_todos_a_b____[0-9a-z]+$/),
      expect.stringMatching(/^idx_todos_constructor_prototype_[0-9a-z]+$/),
      expect.stringMatching(/^idx_todos_x_DROP_TABLE_idx_todos__[0-9a-z]+$/),
      'sqlite_autoindex_idx_todos_1',
    ]);
    for (const path of ['a"b', 'a\\b', 'a..b', '__proto__']) {
      let error: unknown;
      try {
        await initializeD1Schema(env.DB, { collections: ['todos'], tablePrefix: 'idx_', indexes: { todos: [path] } });
      } catch (caught) {
        error = caught;
      }
      expect(error, path).toBeInstanceOf(PocketError);
      expect((error as PocketError).status, path).toBe(400);
    }
    expect(await d1Tables()).toContain('idx_todos');
  });
});

describe('Durable Object SQL table prefixes', () => {
  it('refuses hostile prefixes and reserved table names, and keeps tenants apart', async () => {
    await inObject('SQL_OBJECT', 'hostile-identifiers-sql', async (storage) => {
      const acme = (await Database.create({ name: 'acme', storage: createDurableObjectSqlStorage({ storage, tablePrefix: 'tenant_acme_' }) })).collection(
        'todos',
      );
      await acme.bulkInsert(acmeDocs);
      for (const tenant of HOSTILE_TENANTS) await refused(() => createDurableObjectSqlStorage({ storage, tablePrefix: `tenant_${tenant}_` }), tenant);
      for (const tenant of ODD_TENANTS) await useTenant(createDurableObjectSqlStorage({ storage, tablePrefix: `tenant_${tenant}_` }), tenant);
      const bare = await Database.create({ name: 'bare', storage: createDurableObjectSqlStorage({ storage, tablePrefix: '' }) });
      for (const name of RESERVED_TABLES) await refused(() => bare.collection(name), name);
      expect(await acme.find().exec()).toEqual(asStored(acmeDocs));
      expect(storage.sql.exec(`SELECT count(*) AS n FROM sqlite_master WHERE name = 'tenant_acme_todos'`).one()).toEqual({ n: 1 });
    });
  });
});

describe('Durable Object KV key prefixes', () => {
  const hostilePrefixes: unknown[] = ['', 'x', ':', '::', 'a:b:', 'pocket::', 'tenant-a:todos:', 't-\uD800:', 't-\uDC00x:', 42, null, {}];
  const oddPrefixes = [
    `'; DROP TABLE _cf_KV; --:`,
    '/* */:',
    '..:',
    '../:',
    '__proto__:',
    'constructor:',
    'é😀:',
    ' :',
    '\u0000:',
    '\n:',
    'tenant-A:',
    'x'.repeat(1500) + ':',
  ];

  it('refuses prefixes that could overlap or change on the way to storage, and keeps the others apart', async () => {
    await inObject('KV_OBJECT', 'hostile-identifiers-kv', async (storage) => {
      const a = (await Database.create({ name: 'a', storage: createDurableObjectStorage({ storage, keyPrefix: 'tenant-a:' }) })).collection('todos');
      const b = (await Database.create({ name: 'b', storage: createDurableObjectStorage({ storage, keyPrefix: 'tenant-b:' }) })).collection('todos');
      await a.bulkInsert(acmeDocs);
      await b.bulkInsert(globexDocs);
      // Ids that look like other tenants' keys stay ids of this tenant.
      await a.insert({ _id: 'tenant-b:todos:a1', title: 'still acme' });
      await a.insert({ _id: ':todos:a1', title: 'still acme' });
      for (const prefix of hostilePrefixes)
        await refused(() => createDurableObjectStorage({ storage, keyPrefix: prefix as string }), String(JSON.stringify(prefix)));
      for (const prefix of oddPrefixes) await useTenant(createDurableObjectStorage({ storage, keyPrefix: prefix }), prefix.slice(0, 20));
      // A prefix so long that keys would pass 2 KiB: refused at the first write, nothing stored.
      const long = (await Database.create({ name: 'long', storage: createDurableObjectStorage({ storage, keyPrefix: `${'é'.repeat(1100)}:` }) })).collection(
        'todos',
      );
      await refused(() => long.insert({ _id: 'x' }), 'key over 2 KiB');
      await refused(() => long.bulkInsert([{ _id: 'y' }, { _id: 'x'.repeat(10) }]), 'keys over 2 KiB');

      expect(await b.find().exec()).toEqual(asStored(globexDocs));
      expect(await a.count()).toBe(acmeDocs.length + 2);
      const keys = [...(await storage.list()).keys()];
      // Each key under its own prefix: tenant a's four documents, tenant b's one, each with its
      // revision record and feed entry and each tenant's counter; of every odd prefix only what
      // the change feed keeps of its two deleted documents (the feed entries of their deletes,
      // the 4th and 5th writes); nothing of the prefix too long to store.
      const aIds = ['a1', 'a2', 'tenant-b:todos:a1', ':todos:a1'];
      const feedKey = (prefix: string, seq: number) => `${prefix}todos#${String(seq).padStart(16, '0')}`;
      const tombstones = (prefix: string) => [`${prefix}todos!seq`, feedKey(prefix, 4), feedKey(prefix, 5), `${prefix}todos~a1`, `${prefix}todos~a2`];
      expect(keys.sort()).toEqual(
        [
          ...aIds.flatMap((id, i) => [`tenant-a:todos:${id}`, `tenant-a:todos~${id}`, feedKey('tenant-a:', i + 1)]),
          'tenant-a:todos!seq',
          'tenant-b:todos:a1',
          'tenant-b:todos~a1',
          feedKey('tenant-b:', 1),
          'tenant-b:todos!seq',
          ...oddPrefixes.flatMap(tombstones),
        ].sort(),
      );
      // No document of an odd prefix is left.
      for (const prefix of oddPrefixes) expect((await storage.list({ prefix: `${prefix}todos:` })).size, prefix.slice(0, 20)).toBe(0);
    });
  });
});

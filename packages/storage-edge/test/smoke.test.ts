import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';

describe('workerd bindings', () => {
  it('has a D1 database', async () => {
    // D1 refuses sqlite_version() ("not authorized"), so the smoke query sticks to JSON functions.
    const row = await env.DB.prepare("select json_extract('{\"a\":true}', '$.a') as a").first();
    expect(row).toEqual({ a: 1 });
  });
  it('has both kinds of Durable Object', async () => {
    const kv = env.KV_OBJECT.get(env.KV_OBJECT.idFromName('x'));
    await runInDurableObject(kv, async (_o, state) => {
      await state.storage.put('k', 1);
      expect(await state.storage.get('k')).toBe(1);
      expect(() => state.storage.sql.exec('select 1')).toThrow();
    });
    const sql = env.SQL_OBJECT.get(env.SQL_OBJECT.idFromName('x'));
    await runInDurableObject(sql, async (_o, state) => {
      expect(state.storage.sql.exec('select 1 as one').one()).toEqual({ one: 1 });
    });
  });
});

// D1 sessions with Pocket: a session handed to createD1Storage without casts, and d1Session()
// carrying the bookmark from one request to the next, on the real local D1.
import { env } from 'cloudflare:test';
import { Database, ValidationError } from '@pocket/core';
import { describe, expect, it } from 'vitest';
import { createD1Storage, d1Session } from '../src/index.js';

const request = (headers: Record<string, string> = {}) => new Request('https://app.test/todos', { headers });

describe('D1 sessions', () => {
  it('are storage as they are: every operation runs through env.DB.withSession()', async () => {
    const session = env.DB.withSession('first-primary');
    const todos = (await Database.create({ name: 's', storage: createD1Storage({ database: session, tablePrefix: 'session_' }) })).collection('todos');
    await todos.insert({ _id: 'a', title: 'through a session' });
    expect(await todos.find().exec()).toEqual([{ _id: 'a', title: 'through a session', _rev: 1 }]);
    expect(session.getBookmark()).toEqual(expect.any(String));
  });

  it('d1Session() hands the bookmark to the next request, which reads the write', async () => {
    const first = d1Session(env.DB, request());
    expect(first.bookmark).toBeNull();
    const todos = (await Database.create({ name: 's', storage: createD1Storage({ database: first.database, tablePrefix: 'bookmark_' }) })).collection('todos');
    await todos.insert({ _id: 'w', title: 'written' });
    const response = first.commit(new Response('created', { status: 201, headers: { 'content-type': 'text/plain' } }));
    expect(response.status).toBe(201);
    expect(await response.text()).toBe('created');
    const bookmark = response.headers.get('x-d1-bookmark');
    expect(bookmark).toMatch(/^[A-Za-z0-9-]+$/);
    expect(response.headers.get('set-cookie')).toBe(`d1-bookmark=${bookmark}; Path=/; HttpOnly; Secure; SameSite=Lax`);

    for (const headers of [{ 'x-d1-bookmark': bookmark! }, { cookie: `theme=dark; d1-bookmark=${bookmark}` }] as Array<Record<string, string>>) {
      const next = d1Session(env.DB, request(headers));
      expect(next.bookmark).toBe(bookmark);
      const again = (await Database.create({ name: 's', storage: createD1Storage({ database: next.database, tablePrefix: 'bookmark_' }) })).collection('todos');
      expect(await again.get('w')).toEqual({ _id: 'w', title: 'written', _rev: 1 });
    }
  });

  it('ignores a malformed bookmark, and leaves a response alone before any query', async () => {
    for (const bad of ['not a bookmark!', 'x'.repeat(300), '']) {
      expect(d1Session(env.DB, request({ 'x-d1-bookmark': bad })).bookmark).toBeNull();
    }
    const unused = d1Session(env.DB, request(), { start: 'first-primary', header: 'x-bookmark', cookie: false });
    const response = new Response('x');
    expect(unused.commit(response)).toBe(response);
    expect(() => d1Session({} as never, request())).toThrow(ValidationError);
    expect(() => d1Session(env.DB, request(), { start: 'anywhere' as never })).toThrow(ValidationError);
  });
});

import { reset } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { sign } from 'hono/jwt';
import { beforeEach, describe, expect, it } from 'vitest';
import type { UserTodo } from '../src/index.js';

beforeEach(async () => {
  await reset();
});

const now = () => Math.floor(Date.now() / 1000);

/** A token as an identity provider would issue it: HS256, signed with the Worker's secret. */
function tokenFor(sub: unknown, claims: Record<string, unknown> = {}, secret = env.JWT_SECRET): Promise<string> {
  return sign({ sub, iat: now(), exp: now() + 300, ...claims } as Parameters<typeof sign>[0], secret, 'HS256');
}

async function call(method: string, path: string, token: string | null, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return exports.default.fetch(new Request(`http://example.com${path}`, { method, headers, body: body === undefined ? null : JSON.stringify(body) }));
}

describe('/me/todos behind a verified JWT', () => {
  it('gives each user their own todos, the user taken from the token whatever the body says', async () => {
    const alice = await tokenFor('alice');
    const bob = await tokenFor('bob');
    const created = await call('POST', '/me/todos', alice, { title: 'Alice only', userId: 'bob' });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ title: 'Alice only', userId: 'alice', _rev: 1 });
    expect((await call('POST', '/me/todos', bob, { title: 'Bob only' })).status).toBe(201);

    const mine = async (token: string) => (await (await call('GET', '/me/todos', token)).json<UserTodo[]>()).map((t) => [t.userId, t.title]);
    expect(await mine(alice)).toEqual([['alice', 'Alice only']]);
    expect(await mine(bob)).toEqual([['bob', 'Bob only']]);
    // The open /todos routes do not see them: another collection.
    expect(await (await call('GET', '/todos', null)).json()).toEqual([]);
  });

  it('answers 401 with a WWW-Authenticate challenge to a missing, forged, expired or malformed token, and writes nothing', async () => {
    const header = (token: string) => token.split('.')[0]!;
    const payload = (claims: Record<string, unknown>) => btoa(JSON.stringify(claims)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
    const valid = await tokenFor('alice');
    const refused: Array<[string, string | null]> = [
      ['no token', null],
      ['signed with another key', await tokenFor('alice', {}, 'another-secret-of-32-characters!!')],
      ['expired', await tokenFor('alice', { exp: now() - 60 })],
      ['not valid yet', await tokenFor('alice', { nbf: now() + 600 })],
      ['a payload changed after signing', `${header(valid)}.${payload({ sub: 'mallory', exp: now() + 300 })}.${valid.split('.')[2]}`],
      ['alg "none"', `${btoa('{"alg":"none","typ":"JWT"}').replace(/=+$/, '')}.${payload({ sub: 'alice', exp: now() + 300 })}.`],
      ['not a JWT', 'hello'],
      ['no sub', await tokenFor(undefined)],
      ['a sub that is not a string', await tokenFor(42)],
      ['a sub too long to be an id', await tokenFor('a'.repeat(200))],
    ];
    for (const [what, token] of refused) {
      for (const method of ['GET', 'POST']) {
        const response = await call(method, '/me/todos', token, method === 'POST' ? { title: 'Sneaked in' } : undefined);
        expect(response.status, `${what}: ${method}`).toBe(401);
        expect(await response.json(), what).toMatchObject({ error: 'UNAUTHENTICATED' });
        expect(response.headers.get('WWW-Authenticate'), what).toMatch(/^Bearer /);
      }
    }
    // A token sent without the Bearer scheme is refused too.
    const basic = await exports.default.fetch(new Request('http://example.com/me/todos', { headers: { authorization: `Token ${valid}` } }));
    expect(basic.status).toBe(401);
    expect(await (await call('GET', '/me/todos', valid)).json()).toEqual([]);
  });

  it('checks the title as /todos does', async () => {
    const alice = await tokenFor('alice');
    expect((await call('POST', '/me/todos', alice, { title: '' })).status).toBe(400);
    expect((await call('POST', '/me/todos', alice, { title: 'x'.repeat(201) })).status).toBe(400);
    expect(await (await call('GET', '/me/todos', alice)).json()).toEqual([]);
  });
});

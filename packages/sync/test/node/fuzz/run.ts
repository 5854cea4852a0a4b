import { Database, DocumentNotFoundError, arrayRemove, arrayUnion, createMemoryStorage, deleteField, increment, type JsonObject } from '@pocket/core';
import { createSyncClient, type SyncClient } from '@pocket/sync/client';
import { SyncServer, type SyncRules } from '@pocket/sync/server';
import { IDS, LISTS, TAGS, canonical, inView, same, withoutRev, type Item, type View } from './model.js';
import { FaultyNetwork, type Faults, type Link, type PushExchange } from './network.js';
import { Random } from './random.js';

export interface ConvergenceOptions {
  seed: number;
  steps: number;
  /** How many clients (default: 3 to 6, chosen by the seed). */
  clients?: number;
  faults?: Faults;
}

export interface ConvergenceReport {
  seed: number;
  steps: number;
  clients: number;
  localWrites: number;
  serverWrites: number;
  acceptedMutations: number;
  conflicts: number;
  rejections: number;
  restarts: number;
  reloads: number;
  partitions: number;
  network: FaultyNetwork['stats'];
  documents: number;
  ms: number;
}

export const DEFAULT_FAULTS: Faults = { dropRequest: 0.08, dropResponse: 0.08, maxDelayMs: 6 };

/** Scoped users ("team-a-…") read and write only team "a"; the others everything. */
const rules: SyncRules<{ id: string }> = {
  authenticate: (request) => {
    const id = request.headers.get('x-user');
    return id === null ? null : { id };
  },
  collections: { todos: { read: (user, q) => (user.id.startsWith('team-a') ? q.where('team').equals('a') : true) } },
};

interface FuzzClient {
  name: string;
  user: string;
  view: View;
  db: Database;
  client: SyncClient;
  link: Link;
  running: boolean;
  conflicts: number;
  rejections: number;
  /** The last value this client's app wrote to each id, until the server took it or a conflict/rejection reported it. */
  unsettled: Map<string, { value: JsonObject | null; step: number }>;
}

/** A divergence, a lost write or an unreported conflict, with the seed and the trace that led to it. */
export class ConvergenceFailure extends Error {
  override readonly name = 'ConvergenceFailure';
}

/**
 * One seeded run: clients on their own memory databases write at random while the network
 * delays and loses requests and answers, clients stop, restart and reload, and the server's
 * database is written directly; then everyone syncs until nothing moves, and the run checks
 * that each client holds exactly the server's documents in its view, that every write the
 * server accepted is in its history as sent, that every write the app made was accepted or
 * reported, and that every conflict the server answered was reported once.
 */
export async function runConvergence(options: ConvergenceOptions): Promise<ConvergenceReport> {
  const started = Date.now();
  const random = new Random(options.seed);
  const networkRandom = new Random(options.seed ^ 0x5bd1e995);
  const trace: string[] = [];
  const problems: string[] = [];
  const log = (line: string) => trace.push(line);
  let step = 0;

  const serverDb = await Database.create({ name: 'server', storage: createMemoryStorage() });
  const server = new SyncServer({ database: serverDb, rules });
  const todos = serverDb.collection<Item>('todos');

  // The server's history of every document: what each revision held (null: deleted).
  const history = new Map<string, Map<number, JsonObject | null>>();
  let serverChanges = 0;
  serverDb.onChange((changes) => {
    for (const change of changes) {
      if (change.collection !== 'todos') continue;
      serverChanges++;
      const revs = history.get(change.id) ?? new Map<number, JsonObject | null>();
      history.set(change.id, revs);
      if (change.type === 'delete') revs.set(Math.max(0, ...revs.keys()) + 1, null);
      else revs.set(change.doc._rev as number, withoutRev(change.doc as JsonObject));
    }
  });

  const clients: FuzzClient[] = [];
  const byClientId = new Map<string, FuzzClient>();
  /** The first answer the server gave each mutation: the one it applied. */
  const verdicts = new Map<string, MutationVerdict>();
  const report = { localWrites: 0, serverWrites: 0, acceptedMutations: 0, restarts: 0, reloads: 0, partitions: 0 };

  const onPush = (exchange: PushExchange) => {
    const owner = byClientId.get(exchange.clientId);
    for (const result of exchange.results) {
      const key = `${exchange.clientId}/${result.mid}`;
      if (verdicts.has(key)) continue;
      const mutation = exchange.mutations.find((m) => m.mid === result.mid);
      verdicts.set(key, { clientId: exchange.clientId, status: result.status });
      if (result.status !== 'accepted' || mutation === undefined) continue;
      report.acceptedMutations++;
      const expected = mutation.doc === null ? null : { ...withoutRev(mutation.doc), _id: mutation.id };
      const stored = history.get(mutation.id)?.get(result.rev);
      if (result.rev !== 0 && (stored === undefined || !same(stored, expected))) {
        problems.push(
          `mutation ${key} on ${mutation.id} was accepted at rev ${result.rev}, but the server's history has ${stored === undefined ? 'no such revision' : canonical(stored)} instead of ${canonical(expected)}`,
        );
      }
      const pending = owner?.unsettled.get(mutation.id);
      if (pending !== undefined && same(pending.value, expected)) owner!.unsettled.delete(mutation.id);
    }
  };
  const network = new FaultyNetwork(server, networkRandom, options.faults ?? DEFAULT_FAULTS, onPush);

  const makeClient = (c: FuzzClient) => {
    const lists = c.view.lists;
    const client = createSyncClient({
      database: c.db,
      url: 'http://sync.test/sync',
      collections: { todos: lists === null ? true : { filter: (q) => q.where('list').in(lists) } },
      pollInterval: 5 + random.int(20),
      retry: { min: 2, max: 30 },
      headers: () => ({ 'x-user': c.user }),
      fetch: c.link.fetch,
    });
    const settle = (kind: string, id: string, local: JsonObject | null) => {
      const pending = c.unsettled.get(id);
      log(`#${step} ${c.name} ${kind} on ${id}: local ${canonical(local)}`);
      if (pending !== undefined && same(pending.value, local)) c.unsettled.delete(id);
    };
    client.on('conflict', (conflict) => {
      c.conflicts++;
      settle('conflict', conflict.id, conflict.local);
    });
    client.on('rejected', (rejection) => {
      c.rejections++;
      settle(`rejected (${rejection.code}: ${rejection.message})`, rejection.id, rejection.local);
    });
    client.on('error', (error) => {
      const retryable = (error as { retryable?: boolean }).retryable;
      if (error.name === 'SyncRequestError' && retryable === true) return;
      problems.push(`${c.name} reported an error: ${error.name}: ${error.message}`);
    });
    return client;
  };

  const count = options.clients ?? 3 + random.int(4);
  for (let i = 0; i < count; i++) {
    const scoped = i % 3 === 2;
    const lists = i % 2 === 1 ? LISTS.filter(() => random.chance(0.6)) : null;
    const c: FuzzClient = {
      name: `c${i}`,
      user: scoped ? `team-a-${i}` : `u${i}`,
      view: { lists: lists !== null && lists.length === 0 ? ['l1'] : lists, scoped },
      db: await Database.create({ name: `client-${i}`, storage: createMemoryStorage() }),
      client: null as never,
      link: network.link(),
      running: false,
      conflicts: 0,
      rejections: 0,
      unsettled: new Map(),
    };
    c.client = makeClient(c);
    clients.push(c);
    log(`${c.name}: user ${c.user}, lists ${c.view.lists?.join(',') ?? 'all'}`);
  }
  const start = async (c: FuzzClient) => {
    await c.client.start();
    byClientId.set(c.client.clientId, c);
    c.running = true;
  };
  for (const c of clients) await start(c);

  const newItem = (id: string, view: View | null): Item => {
    const list = view?.lists !== null && view !== null && random.chance(0.9) ? random.pick(view.lists) : random.pick(LISTS);
    const team = view?.scoped === true && random.chance(0.9) ? 'a' : random.pick(['a', 'b'] as const);
    const item: Item = { _id: id, list, team, n: random.int(10), tags: TAGS.filter(() => random.chance(0.3)) };
    if (random.chance(0.7)) item.title = `t${random.int(100)}`;
    return item;
  };

  /** One random write on a collection; returns its description and the document after it (null: deleted), or undefined when it did nothing. */
  const write = async (db: Database, view: View | null): Promise<[string, JsonObject | null] | undefined> => {
    const collection = db.collection<Item>('todos');
    const id = random.pick(IDS);
    const current = await collection.get(id);
    if (current === null) {
      const item = newItem(id, view);
      const written = random.chance(0.5) ? await collection.insert(item) : await collection.upsert(item);
      return [`insert ${id} ${canonical(item)}`, withoutRev(written as JsonObject)];
    }
    const kind = random.weighted({ title: 3, increment: 3, arrayUnion: 2, arrayRemove: 2, deleteField: 1, move: 2, replace: 1, delete: 2 });
    let written: Item;
    switch (kind) {
      case 'title':
        written = await collection.update(id, { title: `t${random.int(100)}` });
        break;
      case 'increment':
        written = await collection.update(id, { n: increment(1 + random.int(3)) });
        break;
      case 'arrayUnion':
        written = await collection.update(id, { tags: arrayUnion(random.pick(TAGS)) });
        break;
      case 'arrayRemove':
        written = await collection.update(id, { tags: arrayRemove(random.pick(TAGS)) });
        break;
      case 'deleteField':
        written = await collection.update(id, { title: deleteField() });
        break;
      case 'move':
        written = random.chance(0.5)
          ? await collection.update(id, { list: random.pick(LISTS) })
          : await collection.update(id, { team: random.pick(['a', 'b'] as const) });
        break;
      case 'replace':
        written = await collection.upsert(newItem(id, view));
        break;
      case 'delete':
        return (await collection.delete(id)) ? [`delete ${id}`, null] : undefined;
    }
    return [`${kind} ${id}`, withoutRev(written as JsonObject)];
  };

  const reload = async (c: FuzzClient) => {
    // A page reload: the old page's requests and answers vanish, the local database stays.
    c.link.dead = true;
    await c.client.stop();
    c.link = network.link();
    c.client = makeClient(c);
    await start(c);
  };

  try {
    for (step = 1; step <= options.steps; step++) {
      const c = random.pick(clients);
      const action = random.weighted({ write: 50, server: 8, stopStart: 5, reload: 3, partition: 4, pause: 10 });
      switch (action) {
        case 'write': {
          try {
            const done = await write(c.db, c.view);
            if (done === undefined) break;
            report.localWrites++;
            c.unsettled.set(done[1] === null ? done[0].split(' ')[1]! : (done[1]._id as string), { value: done[1], step });
            log(`#${step} ${c.name}${c.running ? '' : ' (stopped)'}${c.link.online ? '' : ' (offline)'} ${done[0]} → ${canonical(done[1])}`);
          } catch (error) {
            // The sync removed the document between the read and the write.
            if (!(error instanceof DocumentNotFoundError)) throw error;
            log(`#${step} ${c.name} write found its document gone`);
          }
          break;
        }
        case 'server': {
          try {
            const done = await write(serverDb, null);
            if (done === undefined) break;
            report.serverWrites++;
            log(`#${step} server ${done[0]} → ${canonical(done[1])}`);
          } catch (error) {
            if (!(error instanceof DocumentNotFoundError)) throw error;
          }
          break;
        }
        case 'stopStart':
          if (c.running) {
            c.running = false;
            await c.client.stop();
            log(`#${step} ${c.name} stop`);
          } else {
            await start(c);
            report.restarts++;
            log(`#${step} ${c.name} start`);
          }
          break;
        case 'reload':
          await reload(c);
          report.reloads++;
          log(`#${step} ${c.name} reload`);
          break;
        case 'partition':
          c.link.online = !c.link.online;
          report.partitions++;
          log(`#${step} ${c.name} ${c.link.online ? 'back online' : 'offline'}`);
          break;
        case 'pause':
          await sleep(random.int(20));
          break;
      }
      await sleep(random.int(3));
    }

    // Everyone online, no more faults: sync until a whole round changes nothing on the server.
    log('--- settling ---');
    network.faults = { dropRequest: 0, dropResponse: 0, maxDelayMs: 1 };
    for (const c of clients) {
      c.link.online = true;
      if (!c.running) await start(c);
    }
    for (let round = 0; ; round++) {
      const before = serverChanges;
      for (const c of clients) await within(c.client.synced(), 20_000, `${c.name}.synced()`);
      if (round >= 1 && serverChanges === before) break;
      if (round === 20) throw new Error('the clients kept writing to the server after 20 rounds of synced()');
    }

    const serverDocs = (await todos.find().sort('_id').exec()).map((d) => withoutRev(d as JsonObject));
    for (const c of clients) {
      const held = (await c.db.collection<Item>('todos').find().sort('_id').exec()).map((d) => withoutRev(d as JsonObject));
      const expected = serverDocs.filter((d) => inView(c.view, d));
      if (canonical(held) !== canonical(expected)) {
        const ids = new Set([...held, ...expected].map((d) => d._id as string));
        const differing = [...ids].filter((id) => canonical(held.find((d) => d._id === id)) !== canonical(expected.find((d) => d._id === id)));
        const records = await Promise.all(
          differing.map(async (id) => `${id}: ${canonical((await c.db.collection('pocket_sync').get(`d/todos/${id}`))?.state ?? null)}`),
        );
        problems.push(
          `${c.name} (${c.user}, lists ${c.view.lists?.join(',') ?? 'all'}) diverged on ${differing.join(', ')}:\n  holds  ${canonical(held)}\n  server ${canonical(expected)}\n  its records: ${records.join('; ')}`,
        );
      }
      for (const [id, { value, step: at }] of c.unsettled) {
        // A document created and deleted before the client ever tracked it has nothing to push.
        if (value === null && (await c.db.collection('pocket_sync').get(`d/todos/${id}`)) === null) continue;
        const record = (await c.db.collection('pocket_sync').get(`d/todos/${id}`))?.state ?? null;
        problems.push(
          `${c.name}'s write at step ${at} (${id} → ${canonical(value)}) was neither accepted by the server nor reported as a conflict or rejection; its record: ${canonical(record)}`,
        );
      }
      const answered = [...verdicts.values()].filter((v) => v.clientId === c.client.clientId && v.status !== 'accepted');
      const conflicts = answered.filter((v) => v.status === 'conflict').length;
      const rejections = answered.length - conflicts;
      if (conflicts !== c.conflicts || rejections !== c.rejections) {
        problems.push(
          `${c.name}: the server answered ${conflicts} conflicts and ${rejections} rejections; the client reported ${c.conflicts} and ${c.rejections}`,
        );
      }
    }
    if (problems.length > 0) throw new ConvergenceFailure(failureMessage(options, problems, trace));
    return {
      seed: options.seed,
      steps: options.steps,
      clients: count,
      ...report,
      conflicts: clients.reduce((sum, c) => sum + c.conflicts, 0),
      rejections: clients.reduce((sum, c) => sum + c.rejections, 0),
      network: network.stats,
      documents: serverDocs.length,
      ms: Date.now() - started,
    };
  } catch (error) {
    if (error instanceof ConvergenceFailure) throw error;
    throw new ConvergenceFailure(failureMessage(options, [...problems, `the run stopped: ${(error as Error).stack ?? String(error)}`], trace));
  } finally {
    for (const c of clients) {
      c.link.dead = true;
      await c.client.stop();
    }
  }
}

interface MutationVerdict {
  clientId: string;
  status: 'accepted' | 'conflict' | 'rejected';
}

function failureMessage(options: ConvergenceOptions, problems: string[], trace: string[]): string {
  const shown = trace.length > 400 ? [...trace.slice(0, 8), '…', ...trace.slice(-390)] : trace;
  return [
    `sync convergence failed: seed ${options.seed}, ${options.steps} steps (rerun: npm run fuzz:sync -- --seed ${options.seed} --steps ${options.steps})`,
    ...problems.map((p) => `- ${p}`),
    'trace (the clients first, then the steps):',
    ...shown.map((line) => `  ${line}`),
  ].join('\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<T>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not resolve within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The benchmark's documents. Everything is derived from a seed, so the Worker, every Durable
 * Object and every variant can regenerate the same documents and the same ids without storing
 * a list anywhere, and two runs work on identical data.
 */

export interface Todo {
  _id: string;
  title: string;
  completed: boolean;
  userId: string;
  priority: number;
  createdAt: string;
  tags: string[];
}

export const DOC_COUNT = 10_000;
export const USER_COUNT = 100;
export const TABLE = 'pocket_todos';
export const COLLECTION = 'todos';

/** A small, fast 32-bit hash (FNV-1a then an avalanche step), enough to spread ids and values. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const hex8 = (n: number) => n.toString(16).padStart(8, '0');

/** A UUID-shaped id, random-looking but fixed for (namespace, i): inserts land all over the B-tree, as `crypto.randomUUID()` ids do. */
export function idOf(namespace: string, i: number): string {
  const a = hex8(hash32(`${namespace}/${i}/a`));
  const b = hex8(hash32(`${namespace}/${i}/b`));
  const c = hex8(hash32(`${namespace}/${i}/c`));
  const d = hex8(hash32(`${namespace}/${i}/d`));
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-8${c.slice(1, 4)}-${c.slice(4)}${d}`;
}

const VERBS = ['Buy', 'Call', 'Fix', 'Write', 'Review', 'Plan', 'Book', 'Clean', 'Order', 'Send'];
const THINGS = [
  'groceries',
  'the plumber',
  'the quarterly report',
  'slides for Monday',
  'the garden fence',
  'train tickets',
  'a birthday present',
  'the team offsite',
  'dentist appointment',
  'invoices',
];
const DETAILS = ['before the weekend', 'after lunch', 'with Sam and Alex', 'for the new office', 'if it is not raining', 'and check the receipts'];
const TAGS = ['home', 'work', 'errand', 'urgent', 'later', 'family', 'finance', 'health'];
const EPOCH = Date.UTC(2025, 0, 1);

/**
 * Document `i` of a set. Fields depend on `i` only, the `_id` on `namespace` and `i`; so the
 * check pass can insert "the same" documents under different ids for each variant. About 200
 * bytes of JSON each.
 */
export function makeTodo(i: number, namespace = 'seed'): Todo {
  const h = hash32(`doc/${i}`);
  const tagCount = 1 + (h % 3);
  const tags: string[] = [];
  for (let t = 0; t < tagCount; t++) tags.push(TAGS[(h >>> (4 + t * 3)) % TAGS.length]!);
  return {
    _id: idOf(namespace, i),
    title: `${VERBS[h % VERBS.length]} ${THINGS[(h >>> 8) % THINGS.length]} ${DETAILS[(h >>> 16) % DETAILS.length]} (#${i})`,
    completed: (h >>> 20) % 3 === 0,
    userId: userOf(i),
    priority: (h >>> 24) % 10,
    // One minute apart, plus a few seconds of jitter: unique, so "newest first" has no ties.
    createdAt: new Date(EPOCH + i * 60_000 + ((h >>> 5) % 50_000)).toISOString(),
    tags,
  };
}

export function userOf(i: number): string {
  return `user-${String(i % USER_COUNT).padStart(3, '0')}`;
}

/** The ids of the seeded documents, computed once per isolate. */
let seedIds: string[] | undefined;
export function seedId(i: number): string {
  seedIds ??= Array.from({ length: DOC_COUNT }, (_, k) => idOf('seed', k));
  return seedIds[((i % DOC_COUNT) + DOC_COUNT) % DOC_COUNT]!;
}

/**
 * Which seeded document the k-th operation of a request touches. Every variant of the same
 * (round, rep) touches the same documents; different requests touch different ones.
 */
export function pick(round: number, rep: number, k: number): number {
  return (hash32(`pick/${round}/${rep}`) + k * 7919) % DOC_COUNT;
}

import type { JsonObject } from '@pocket/core';

/** The documents the fuzz writes: small, on a few ids, so writes meet often. */
export type Item = {
  _id: string;
  list: string;
  team: 'a' | 'b';
  n: number;
  tags: string[];
  title?: string;
};

export const IDS = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7'];
export const LISTS = ['l0', 'l1', 'l2'];
export const TAGS = ['x', 'y', 'z'];

/** Which documents a client should hold: its subscription's lists (`null`: all) and, for a scoped user, the rules' read scope (team "a"). */
export interface View {
  lists: string[] | null;
  scoped: boolean;
}

export function inView(view: View, doc: JsonObject): boolean {
  return (view.lists === null || view.lists.includes(doc.list as string)) && (!view.scoped || doc.team === 'a');
}

export function withoutRev(doc: JsonObject): JsonObject {
  const { _rev: _ignored, ...rest } = doc;
  return rest;
}

/** JSON with sorted keys: equal documents give equal text, whatever their key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export function same(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

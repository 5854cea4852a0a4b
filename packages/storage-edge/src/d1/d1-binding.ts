import { ValidationError } from '@pocket/core';
import { describeValue as describe } from '@pocket/core/adapter';

/**
 * The part of a D1 binding Pocket uses. Declared here instead of importing
 * `@cloudflare/workers-types`, so the package has no type dependency; `env.DB` fits it.
 */
export interface D1DatabaseLike {
  prepare(query: string): D1StatementLike;
  batch(statements: D1StatementLike[]): Promise<D1ResultLike[]>;
}

export interface D1ResultLike {
  results?: unknown[];
  /** `changes`: rows the statement inserted, updated or deleted. */
  meta?: { changes?: number };
}

export interface D1StatementLike {
  bind(...values: unknown[]): D1StatementLike;
  all(): Promise<D1ResultLike>;
}

export function assertD1Binding(database: unknown, where: string): asserts database is D1DatabaseLike {
  const d = database as Partial<D1DatabaseLike> | null | undefined;
  if (typeof d !== 'object' || d === null || typeof d.prepare !== 'function' || typeof d.batch !== 'function') {
    throw new ValidationError(
      `${where} needs a D1 binding, got ${describe(database)}. Pass env.DB, where DB is the binding's name in your wrangler config ([[d1_databases]] binding = "DB").`,
    );
  }
}

import { runConformanceSuite, runDifferentialSuite } from '@pocket/core/testing';
import { createDurableObjectStorage } from '../src/index.js';
import { perTestObject } from './do-helpers.js';

// The KV adapter on both kinds of class: it only uses the KV API, which SQLite-backed objects have too.
for (const [kind, label] of [
  ['KV_OBJECT', 'KV-backed'],
  ['SQL_OBJECT', 'SQLite-backed'],
] as const) {
  const conformance = perTestObject(kind, `kv-conformance-${kind}`);
  runConformanceSuite({
    name: `durable-object KV storage on a ${label} class`,
    wrap: conformance.wrap,
    createStorage: () => createDurableObjectStorage({ storage: conformance.storage() }),
  });

  const differential = perTestObject(kind, `kv-differential-${kind}`);
  runDifferentialSuite({
    name: `durable-object KV storage on a ${label} class`,
    wrap: differential.wrap,
    createStorage: () => createDurableObjectStorage({ storage: differential.storage() }),
    cases: 300,
  });
}

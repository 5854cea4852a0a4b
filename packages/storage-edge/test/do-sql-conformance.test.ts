import { runConformanceSuite, runDifferentialSuite } from '@pocket/core/testing';
import { createDurableObjectSqlStorage } from '../src/index.js';
import { perTestObject } from './do-helpers.js';

const conformance = perTestObject('SQL_OBJECT', 'sql-conformance');
runConformanceSuite({
  name: 'durable-object SQL storage',
  wrap: conformance.wrap,
  createStorage: () => createDurableObjectSqlStorage({ storage: conformance.storage() }),
});

const differential = perTestObject('SQL_OBJECT', 'sql-differential');
runDifferentialSuite({
  name: 'durable-object SQL storage',
  wrap: differential.wrap,
  createStorage: () => createDurableObjectSqlStorage({ storage: differential.storage() }),
  cases: 300,
});

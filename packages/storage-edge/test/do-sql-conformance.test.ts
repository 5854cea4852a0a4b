import { runConformanceSuite, runDifferentialSuite } from '@pocket/core/testing';
import { SQLITE_EXACT_NUMBERS } from '@pocket/test-support/sqlite-numbers';
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
  exactNumbers: SQLITE_EXACT_NUMBERS,
});

import { createMemoryStorage } from '@pocket/core';
import { runConformanceSuite, runDifferentialSuite } from '@pocket/core/testing';

runConformanceSuite({ name: 'memory', createStorage: createMemoryStorage });

runDifferentialSuite({ name: 'memory', createStorage: createMemoryStorage });
// A second seed and more documents, so that one lucky dataset cannot hide a difference.
runDifferentialSuite({ name: 'memory', createStorage: createMemoryStorage, seed: 7, documents: 300, cases: 300 });

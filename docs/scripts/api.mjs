// Writes the API reference (docs/api/) from the TSDoc comments of the packages' public entry
// points. Run before `vitepress dev` and `vitepress build`; the output is generated, not committed.
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Application } from 'typedoc';

const docs = fileURLToPath(new URL('..', import.meta.url));
const out = `${docs}api`;

const app = await Application.bootstrapWithPlugins({
  tsconfig: `${docs}tsconfig.api.json`,
  entryPoints: [
    '../packages/core/src/index.ts',
    '../packages/core/src/adapter.ts',
    '../packages/core/src/testing/index.ts',
    '../packages/storage-edge/src/index.ts',
    '../packages/storage-edge/src/sql-compiler.ts',
    '../packages/sync/src/index.ts',
    '../packages/sync/src/client/index.ts',
    '../packages/sync/src/server/index.ts',
  ].map((p) => resolve(docs, p)),
  plugin: ['typedoc-plugin-markdown'],
  out,
  readme: 'none',
  entryFileName: 'index',
  hidePageHeader: true,
  hideBreadcrumbs: true,
  excludePrivate: true,
  excludeInternal: true,
  // A missing comment is a gap to fix in the sources, not a reason to fail the docs build.
  treatWarningsAsErrors: false,
  validation: { notExported: false, invalidLink: true, notDocumented: false },
  name: 'API reference',
  disableSources: true,
});

// TypeDoc names each module by its path (`core/src/adapter`); users import it by package name.
const importNames = {
  'core/src': '@pocket/core',
  'core/src/adapter': '@pocket/core/adapter',
  'core/src/testing': '@pocket/core/testing',
  'storage-edge/src': '@pocket/storage-edge',
  'storage-edge/src/sql-compiler': '@pocket/storage-edge/sql',
  'sync/src': '@pocket/sync',
  'sync/src/client': '@pocket/sync/client',
  'sync/src/server': '@pocket/sync/server',
};

rmSync(out, { recursive: true, force: true });
const project = await app.convert();
if (!project) throw new Error('[pocket/docs] TypeDoc could not read the packages; see the errors above.');
for (const module of project.children ?? []) {
  const name = importNames[module.name];
  if (!name) throw new Error(`[pocket/docs] No import name for the module ${module.name}: add it to importNames in docs/scripts/api.mjs.`);
  module.name = name;
}
await app.generateOutputs(project);
if (app.logger.hasErrors()) process.exit(1);
console.log(`API reference written to ${out}`);

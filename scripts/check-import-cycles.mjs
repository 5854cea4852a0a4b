#!/usr/bin/env node
// Fails when modules of a package import each other in a circle, type imports included: each
// folder of packages/*/src should read one way, from the public entry down to the helpers.
//
//   node scripts/check-import-cycles.mjs [packages/core/src packages/storage-edge/src …]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const roots = process.argv.length > 2 ? process.argv.slice(2) : readdirSync(join(root, 'packages')).map((p) => join(root, 'packages', p, 'src'));

const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (path.endsWith('.ts')) files.push(resolve(path));
  }
};
for (const dir of roots) walk(resolve(dir));

// Relative specifiers of `import … from`, `export … from`, `import '…'` and `import('…')` (also
// in types), on one line or many.
const SPECIFIER = /^\s*(?:import|export)\b[^;]*?\bfrom\s+['"](\.[^'"]+)['"]|^\s*import\s+['"](\.[^'"]+)['"]|\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/gms;
const known = new Set(files);
/** The module a relative specifier names: `./a.js` and `./a` are `a.ts`, `./dir` is `dir/index.ts`. */
const moduleOf = (from, specifier) => {
  const base = resolve(dirname(from), specifier.replace(/\.js$/, ''));
  return [`${base}.ts`, join(base, 'index.ts')].find((candidate) => known.has(candidate));
};
const graph = new Map();
for (const file of files) {
  const source = readFileSync(file, 'utf8');
  const targets = [...source.matchAll(SPECIFIER)].map((m) => moduleOf(file, m[1] ?? m[2] ?? m[3]));
  graph.set(
    file,
    targets.filter((t) => t !== undefined),
  );
}

const cycles = [];
const state = new Map(); // 1: on the current path, 2: done
const path = [];
const visit = (file) => {
  state.set(file, 1);
  path.push(file);
  for (const next of graph.get(file) ?? []) {
    if (state.get(next) === 1) cycles.push([...path.slice(path.indexOf(next)), next]);
    else if (!state.has(next)) visit(next);
  }
  path.pop();
  state.set(file, 2);
};
for (const file of files) if (!state.has(file)) visit(file);

if (cycles.length > 0) {
  for (const cycle of cycles) console.error(`import cycle: ${cycle.map((f) => relative(root, f)).join(' → ')}`);
  console.error(`${cycles.length} import cycle(s) in ${files.length} modules: move what both sides need into a module of its own.`);
  process.exit(1);
}
console.log(`import cycles: none in ${files.length} modules`);

#!/usr/bin/env node
// Fails when a public signature names a type users cannot import. tsup bundles each entry's
// declarations (shared ones go into chunk files) and keeps only what the entries reference, so
// every top-level declaration in packages/*/dist/**/*.d.ts is reachable from a public signature;
// each must also be exported by some entry of its package. Run after `pnpm run build`.
//
//   node scripts/check-public-types.mjs [packages/core …]
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ts = createRequire(join(root, 'packages/core/package.json'))('typescript');

/** Declarations, imports and exports at the top of one .d.ts file. */
function readDeclarations(file) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const declared = new Set();
  const imports = new Map(); // local name → { from, name }
  const exports = new Map(); // exported name → { local } | { from, name }
  for (const node of source.statements) {
    if (ts.isImportDeclaration(node)) {
      const from = node.moduleSpecifier.text;
      for (const e of node.importClause?.namedBindings?.elements ?? []) imports.set(e.name.text, { from, name: (e.propertyName ?? e.name).text });
    } else if (ts.isExportDeclaration(node)) {
      const from = node.moduleSpecifier?.text;
      for (const e of node.exportClause?.elements ?? []) {
        const local = (e.propertyName ?? e.name).text;
        exports.set(e.name.text, from ? { from, name: local } : { local });
      }
    } else if (ts.isVariableStatement(node)) {
      for (const d of node.declarationList.declarations) declared.add(d.name.text);
    } else if (node.name && ts.isIdentifier(node.name)) {
      declared.add(node.name.text);
    }
  }
  return { declared, imports, exports };
}

function checkPackage(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const dist = join(dir, 'dist');
  if (!existsSync(join(dist, 'index.d.ts'))) throw new Error(`${dist} has no declarations: run \`npx -y pnpm@12.4.2 run build\` first.`);
  const files = new Map();
  const read = (file) => files.get(file) ?? files.set(file, readDeclarations(file)).get(file);
  const walk = (d) =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.d.ts') ? [join(d, e.name)] : []));
  for (const file of walk(dist)) read(file);

  // Follows an exported or imported name to the file and name it is declared under.
  const target = (file, from) => (from.startsWith('.') ? join(dirname(file), from.replace(/\.js$/, '.d.ts')) : null);
  function origin(file, name) {
    const { declared, imports } = read(file);
    if (declared.has(name)) return `${file}#${name}`;
    const imported = imports.get(name);
    if (!imported) throw new Error(`${file}: ${name} is neither declared nor imported`);
    const next = target(file, imported.from);
    return next ? exportedOrigin(next, imported.name) : `${imported.from}#${imported.name}`;
  }
  function exportedOrigin(file, name) {
    const e = read(file).exports.get(name);
    if (!e) throw new Error(`${file} does not export ${name}`);
    if (e.local) return origin(file, e.local);
    const next = target(file, e.from);
    return next ? exportedOrigin(next, e.name) : `${e.from}#${e.name}`;
  }

  const entries = Object.values(pkg.exports)
    .map((e) => e.types)
    .filter(Boolean)
    .map((t) => join(dir, t));
  const reachable = new Set(entries.flatMap((file) => [...read(file).exports.keys()].map((name) => exportedOrigin(file, name))));
  const missing = [];
  for (const [file, { declared }] of files)
    for (const name of declared) if (!reachable.has(`${file}#${name}`)) missing.push(`${pkg.name}: ${name} (declared in ${file.slice(root.length + 1)})`);
  return missing;
}

// Every published package: private ones (test support) have no public signatures.
const published = readdirSync(join(root, 'packages'))
  .map((p) => join(root, 'packages', p))
  .filter((dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).private !== true);
const missing = (process.argv.length > 2 ? process.argv.slice(2).map((p) => resolve(p)) : published).flatMap(checkPackage);
if (missing.length > 0) {
  console.error(`Public signatures name types that no entry point exports; export them (or stop using them in public signatures):\n  ${missing.join('\n  ')}`);
  process.exit(1);
}
console.log('Every type a public signature names is exported.');

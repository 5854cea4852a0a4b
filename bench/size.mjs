#!/usr/bin/env node
// What each data layer adds to a Worker. The same minimal Worker (insert a todo, list a user's
// todos by a field) is written five ways in size/*.ts and built the way it would be deployed:
// `wrangler deploy --dry-run --outdir … --minify` with a minimal wrangler config. Prints the
// minified and gzipped size of each bundle and what each adds over raw D1, then where Pocket's
// bytes come from (esbuild's metafile).
//
//   node size.mjs [--json results/size.json]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { bundleWorker, esbuild, retryWhileDistMissing } from './lib/build-worker.mjs';
import { literals } from './lib/literals.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({ options: { json: { type: 'string', default: 'results/size.json' } } });
const wranglerBin = join(dirname(createRequire(import.meta.url).resolve('wrangler/package.json')), 'bin/wrangler.js');

const WORKERS = [
  { name: 'raw', label: 'raw D1 (hand-written SQL)' },
  // The goal: add no more than workers-qb does (measured in the same run).
  { name: 'pocket', label: 'Pocket (@pocket/core + @pocket/storage-edge)', goal: 'workers-qb' },
  { name: 'workers-qb', label: 'workers-qb', reference: 6.2 },
  { name: 'drizzle', label: 'Drizzle ORM (drizzle-orm/d1)', reference: 18.6 },
  { name: 'kysely', label: 'Kysely + kysely-d1', reference: 30.1 },
];

const kib = (bytes) => bytes / 1024;
const fmt = (bytes) => `${kib(bytes).toFixed(2)} KiB`;

function build({ name }, { keepNames = true } = {}) {
  const dir = join(here, 'dist/size', keepNames ? name : `${name}-no-keep-names`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const config = {
    name: `pocket-size-${name}`,
    main: relative(dir, join(here, 'size', `${name}.ts`)),
    compatibility_date: '2026-04-01',
    d1_databases: [{ binding: 'DB', database_name: 'size', database_id: '00000000-0000-0000-0000-000000000000' }],
    // wrangler's default; false drops the __name() wrappers esbuild adds to keep function names.
    keep_names: keepNames,
  };
  writeFileSync(join(dir, 'wrangler.json'), JSON.stringify(config, null, 2));
  const out = join(dir, 'out');
  const result = spawnSync(
    process.execPath,
    [wranglerBin, 'deploy', '--dry-run', '--minify', '--outdir', out, '--metafile', join(dir, 'meta.json'), '--config', join(dir, 'wrangler.json')],
    {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', CI: '1' },
    },
  );
  if (result.status !== 0) throw new Error(`wrangler failed for ${name}:\n${result.stdout}\n${result.stderr}`);
  const file = readdirSync(out).find((f) => f.endsWith('.js'));
  const code = readFileSync(join(out, file));
  const reported = /Total Upload:\s*([\d.]+) KiB \/ gzip:\s*([\d.]+) KiB/.exec(result.stdout + result.stderr);
  return {
    minified: code.length,
    gzip: gzipSync(code, { level: 9 }).length,
    wranglerGzipKiB: reported ? Number(reported[2]) : null,
    meta: JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')),
  };
}

const results = {};
for (const w of WORKERS) {
  process.stdout.write(`building ${w.name}… `);
  results[w.name] = await retryWhileDistMissing(`building ${w.name}`, () => build(w));
  console.log(`${fmt(results[w.name].minified)} minified, ${fmt(results[w.name].gzip)} gzipped`);
}

const raw = results.raw;
console.log('\nWorker bundle sizes (wrangler deploy --dry-run --minify; gzip -9)');
console.log(`${'data layer'.padEnd(46)}${'minified'.padStart(12)}${'gzipped'.padStart(12)}${'adds (gzip)'.padStart(14)}   wrangler's gzip figure, reference`);
const rows = [];
for (const w of WORKERS) {
  const r = results[w.name];
  const adds = r.gzip - raw.gzip;
  rows.push({
    name: w.name,
    label: w.label,
    minifiedBytes: r.minified,
    gzipBytes: r.gzip,
    addsGzipBytes: adds,
    addsMinifiedBytes: r.minified - raw.minified,
    wranglerGzipKiB: r.wranglerGzipKiB,
    referenceAddsKiB: w.reference ?? null,
    goal: w.goal ?? null,
  });
  const note = [
    r.wranglerGzipKiB !== null ? `${r.wranglerGzipKiB.toFixed(2)} KiB` : '',
    w.reference ? `measured earlier: adds ~${w.reference} KB` : '',
    w.goal ? `goal: adds no more than ${w.goal}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  console.log(
    `${w.label.padEnd(46)}${fmt(r.minified).padStart(12)}${fmt(r.gzip).padStart(12)}${(w.name === 'raw' ? '—' : `+${fmt(adds)}`).padStart(14)}   ${note}`,
  );
}

// The packages' dist files are single chunks, so the metafile of the deployed bundle only says
// "core" and "storage-edge". Bundling the same Worker from the packages' sources, with the same
// bundler settings, splits the bytes by source module.
const sourceAliases = {
  '@pocket/core/adapter': join(here, '../packages/core/src/adapter.ts'),
  '@pocket/core': join(here, '../packages/core/src/index.ts'),
  '@pocket/storage-edge/sql': join(here, '../packages/storage-edge/src/sql-compiler.ts'),
  '@pocket/storage-edge': join(here, '../packages/storage-edge/src/index.ts'),
};
const fromSource = await bundleWorker({
  entry: join(here, 'size/pocket.ts'),
  outfile: join(here, 'dist/size/pocket-from-source/index.js'),
  minify: true,
  metafile: true,
  alias: sourceAliases,
});
// The same settings as bundleWorker's, for the feature costs below.
const sourceBuild = {
  entryPoints: [join(here, 'size/pocket.ts')],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  platform: 'neutral',
  conditions: ['workerd', 'worker', 'browser'],
  mainFields: ['browser', 'module', 'main'],
  external: ['cloudflare:*', 'node:*'],
  minify: true,
  logLevel: 'silent',
  alias: sourceAliases,
};
const sourceCode = readFileSync(join(here, 'dist/size/pocket-from-source/index.js'), 'utf8');
const sourceModules = Object.entries(Object.values(fromSource.metafile.outputs)[0].inputs)
  .map(([path, { bytesInOutput }]) => ({ path: path.replace(/^(\.\.\/)+/, ''), bytes: bytesInOutput }))
  .sort((a, b) => b.bytes - a.bytes);
const text = literals(sourceCode);
const literalBytes = text.found.reduce((n, s) => n + s.length, 0);
const pocketRaw = { minified: Buffer.byteLength(sourceCode), gzip: gzipSync(sourceCode, { level: 9 }).length };
const withoutLiterals = { minified: Buffer.byteLength(text.stripped), gzip: gzipSync(text.stripped, { level: 9 }).length };

console.log(
  `\nWhere Pocket's bytes come from (the same Worker bundled from the packages' sources: ${fmt(pocketRaw.minified)} minified, ${fmt(pocketRaw.gzip)} gzipped)`,
);
for (const { path, bytes } of sourceModules.filter((m) => m.bytes > 0))
  console.log(`  ${path.padEnd(50)} ${String(bytes).padStart(6)} B  ${((100 * bytes) / pocketRaw.minified).toFixed(1).padStart(5)}%`);
console.log(
  `  string and template literals over 12 characters (error messages, SQL text): ${text.found.length} of them, ${literalBytes} B minified;` +
    ` without them the bundle would be ${fmt(withoutLiterals.minified)} minified, ${fmt(withoutLiterals.gzip)} gzipped`,
);
const pocket = {
  byModule: sourceModules,
  literalCount: text.found.length,
  literalBytes,
  fromSource: pocketRaw,
  withoutLiterals,
  largestLiterals: [...text.found].sort((a, b) => b.length - a.length).slice(0, 10),
};

// What each optional feature of core costs this Worker, which uses none of them: the Worker
// bundled from sources again, with the feature's module replaced by a stub that exports the same
// names. A class carries every method, so these stay in any Worker that uses Collection and the
// query builder (dynamic import() would not help: wrangler inlines it into the one bundle).
const FEATURE_STUBS = {
  'query/regex-safety.ts': {
    label: 'the regular-expression safety check (matches())',
    stub: 'export const MAX_REGEX_LENGTH=0;export function checkedRegex(p,s,f){return{source:s,flags:f}}export function assertLinearRegex(){}export function nestedQuantifier(){return null}',
  },
  'query/parse.ts': { label: 'parseQuery (collection.query(ast))', stub: 'export function parseQuery(q){return q}' },
  'query/cursor.ts': {
    label: 'cursor pages (page(), after())',
    stub: 'export function encodeCursor(){return""}export function decodeCursor(){return{}}export function positionOf(){return{}}',
  },
  'schema.ts': { label: 'schema validation', stub: 'export function assertSchema(){}export async function validateDocument(s,c,d){return d}' },
  'storage/apply.ts': {
    label: 'applyWrite (schema writes, SQL error replay)',
    stub: 'export function applyWrite(){return{}}export function checkRevision(){}export function applyOperators(d){return d}',
  },
  'live/observe.ts': { label: 'live queries (observe())', stub: 'export function observeQuery(){return()=>{}}' },
};
const coreSrc = join(here, '../packages/core/src/');
async function bundledFromSource(stubbed) {
  const plugin = {
    name: 'stub',
    setup: (b) =>
      b.onLoad({ filter: /\.ts$/ }, (a) =>
        stubbed && a.path === join(coreSrc, stubbed) ? { contents: FEATURE_STUBS[stubbed].stub, loader: 'js' } : undefined,
      ),
  };
  const result = await esbuild.build({ ...sourceBuild, write: false, plugins: [plugin] });
  return gzipSync(result.outputFiles[0].contents, { level: 9 }).length;
}
const wholeGzip = await bundledFromSource(null);
const features = [];
console.log(`\nWhat each optional feature of core adds to this Worker (bundled from sources, ${fmt(wholeGzip)} gzipped), though it uses none:`);
for (const [module, { label }] of Object.entries(FEATURE_STUBS)) {
  const gzip = wholeGzip - (await bundledFromSource(module));
  features.push({ module, label, gzipBytes: gzip });
  console.log(`  ${label.padEnd(50)} ${fmt(gzip).padStart(10)}`);
}
pocket.optionalFeatures = features;

// wrangler keeps function names by default (keep_names), which costs bytes in every bundle.
const noKeepNames = {
  raw: build(WORKERS[0], { keepNames: false }),
  pocket: await retryWhileDistMissing('building pocket', () => build(WORKERS[1], { keepNames: false })),
};
const noKeepNamesAdds = noKeepNames.pocket.gzip - noKeepNames.raw.gzip;
console.log(
  `\nWith keep_names = false in the wrangler config: Pocket ${fmt(noKeepNames.pocket.minified)} minified, ${fmt(noKeepNames.pocket.gzip)} gzipped, adds ${fmt(noKeepNamesAdds)} over raw D1 built the same way.`,
);

const pocketAdds = rows.find((r) => r.name === 'pocket').addsGzipBytes;
const goalAdds = rows.find((r) => r.name === WORKERS[1].goal).addsGzipBytes;
console.log(
  `\nPocket adds ${fmt(pocketAdds)} gzipped over raw D1, ${WORKERS[1].goal} ${fmt(goalAdds)}: ${pocketAdds <= goalAdds ? 'at or under' : `${fmt(pocketAdds - goalAdds)} OVER`} the goal.`,
);

const outFile = resolve(here, args.json);
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(
  outFile,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      rows,
      noKeepNames: {
        pocketMinified: noKeepNames.pocket.minified,
        pocketGzip: noKeepNames.pocket.gzip,
        rawGzip: noKeepNames.raw.gzip,
        addsGzip: noKeepNamesAdds,
      },
      pocket,
    },
    null,
    1,
  ),
);
console.log(`wrote ${args.json}`);

// Packs @pocket/core, @pocket/storage-edge and @pocket/sync as npm would publish them, installs
// the tarballs into fresh projects outside the workspace (a plain Worker, a Hono app and a sync
// object), type-checks them against @cloudflare/workers-types, starts each with `wrangler dev`,
// and drives create / list / update / delete over HTTP, or sync clients over real sockets.
// Nothing is linked from the monorepo.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expectStatus, freePort, run, startWrangler } from './lib/process.mjs';

const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'pocket-smoke-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);

const pnpm = ['-y', 'pnpm@12.4.2'];
for (const pkg of ['core', 'storage-edge', 'sync']) {
  run('npx', [...pnpm, 'pack', '--pack-destination', tarballs], { cwd: join(root, 'packages', pkg) });
}
const [coreTgz, edgeTgz, syncTgz] = ['pocket-core-', 'pocket-storage-edge-', 'pocket-sync-'].map((p) =>
  join(
    tarballs,
    readdirSync(tarballs).find((f) => f.startsWith(p)),
  ),
);

const projects = [
  { name: 'worker', source: 'worker.ts', deps: {}, check: checkTodosOverHttp },
  { name: 'hono', source: 'hono-app.ts', deps: { hono: '4.13.19' }, check: checkTodosOverHttp },
  {
    name: 'sync',
    source: 'sync-worker.ts',
    deps: { '@pocket/sync': `file:${syncTgz}`, ws: '8.23.0' },
    wrangler: { durable_objects: { bindings: [{ name: 'LISTS', class_name: 'TodoList' }] }, migrations: [{ tag: 'v1', new_sqlite_classes: ['TodoList'] }] },
    check: (port, dir) => {
      copyFileSync(join(import.meta.dirname, 'smoke', 'sync-clients.mjs'), join(dir, 'sync-clients.mjs'));
      run('node', ['sync-clients.mjs', String(port)], { cwd: dir });
    },
  },
];

try {
  for (const project of projects) {
    const dir = join(work, project.name);
    mkdirSync(join(dir, 'src'), { recursive: true });
    copyFileSync(join(import.meta.dirname, 'smoke', project.source), join(dir, 'src', 'index.ts'));
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify(
        {
          name: `pocket-smoke-${project.name}`,
          private: true,
          type: 'module',
          dependencies: { '@pocket/core': `file:${coreTgz}`, '@pocket/storage-edge': `file:${edgeTgz}`, ...project.deps },
          devDependencies: { wrangler: '4.86.0', '@cloudflare/workers-types': '4.20260426.1', typescript: '5.9.3' },
          // storage-edge depends on @pocket/core by version; the tarball stands in for the registry.
          overrides: { '@pocket/core': `file:${coreTgz}` },
        },
        null,
        2,
      ),
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify(
        {
          compilerOptions: {
            target: 'ES2022',
            module: 'ESNext',
            moduleResolution: 'Bundler',
            strict: true,
            noEmit: true,
            skipLibCheck: false,
            types: ['@cloudflare/workers-types'],
            lib: ['ES2022'],
          },
          include: ['src'],
        },
        null,
        2,
      ),
    );
    writeFileSync(
      join(dir, 'wrangler.jsonc'),
      JSON.stringify(
        {
          name: `pocket-smoke-${project.name}`,
          main: 'src/index.ts',
          compatibility_date: '2026-04-01',
          d1_databases: [{ binding: 'DB', database_name: 'smoke', database_id: '00000000-0000-0000-0000-000000000001' }],
          ...project.wrangler,
        },
        null,
        2,
      ),
    );
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir });
    run('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: dir });

    const port = await freePort();
    const server = await startWrangler(dir, port);
    try {
      await project.check(port, dir);
    } finally {
      server.stop();
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** Create / list / update / delete over HTTP, as the seed page's Worker answers them. */
async function checkTodosOverHttp(port) {
  const base = `http://127.0.0.1:${port}/todos`;
  const json = { 'content-type': 'application/json' };
  const created = await expectStatus(base, { method: 'POST', headers: json, body: JSON.stringify({ title: 'from a tarball' }) }, 201);
  await expectStatus(base, { method: 'POST', headers: json, body: JSON.stringify({ title: 'another' }) }, 201);
  const listed = await expectStatus(base, undefined, 200);
  if (listed.length !== 2) throw new Error(`expected 2 todos, got ${JSON.stringify(listed)}`);
  const updated = await expectStatus(`${base}/${created._id}`, { method: 'PUT', headers: json, body: JSON.stringify({ completed: true }) }, 200);
  if (updated.completed !== true || updated.title !== 'from a tarball') throw new Error(`bad update: ${JSON.stringify(updated)}`);
  await expectStatus(`${base}/missing`, { method: 'PUT', headers: json, body: JSON.stringify({ completed: true }) }, 404);
  await expectStatus(`${base}/${created._id}`, { method: 'DELETE' }, 204);
  const after = await expectStatus(base, undefined, 200);
  if (after.length !== 1 || after[0].title !== 'another') throw new Error(`bad list after delete: ${JSON.stringify(after)}`);
  console.log(`smoke todos: create / list / update / delete over HTTP passed`);
}

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { bundleWorker } from './build-worker.mjs';

/**
 * Starts one D1 scenario's Worker (sorted.mjs, feed.mjs): bundles `worker/<name>.ts`, runs it in
 * Miniflare on a D1 database persisted in its own state directory, wiped first as run.mjs wipes
 * its own, and checks that the Worker's clock advances with computation (or in-Worker timings
 * would mean nothing, see run.mjs). `post(action, body)` calls the Worker's JSON endpoint.
 */
export async function startD1Scenario(here, name) {
  const workerFile = join(here, `dist/${name}-worker.js`);
  await bundleWorker({ entry: join(here, `worker/${name}.ts`), outfile: workerFile });
  const stateDir = join(here, `.state/${name}`);
  rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });
  const mf = new Miniflare({
    modules: true,
    scriptPath: workerFile,
    compatibilityDate: '2026-04-01',
    d1Databases: { DB: `bench-${name}` },
    d1Persist: stateDir,
  });
  await mf.ready;
  process.on('SIGINT', async () => {
    await mf.dispose();
    process.exit(130);
  });
  const post = poster(mf);
  const c0 = performance.now();
  const clock = await post('clock', { work: 3e7 });
  if (!(clock.compute > 0.5 * (performance.now() - c0))) {
    await mf.dispose();
    throw new Error('the Worker clock does not advance during computation; in-Worker timings would be wrong.');
  }
  return { mf, post };
}

/** `post(action, body)`: calls a bench Worker's JSON endpoint (worker/endpoint.ts) in Miniflare; a failure throws its error and stack. */
export function poster(mf) {
  return async function post(action, body = {}) {
    const response = await mf.dispatchFetch(`http://bench.local/${action}`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    const json = await response.json();
    if (!response.ok) throw new Error(`${action} ${JSON.stringify(body)} failed: ${json.error}\n${json.stack ?? ''}`);
    return json;
  };
}

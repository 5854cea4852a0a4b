// Bundles a Worker's TypeScript entry into one ES module with the esbuild that wrangler itself
// depends on (wrangler's bundler), so Miniflare gets a single file as `wrangler dev` would.
import { createRequire } from 'node:module';

const fromHere = createRequire(import.meta.url);
const fromWrangler = createRequire(fromHere.resolve('wrangler/package.json'));
export const esbuild = fromWrangler('esbuild');

export async function bundleWorker({ entry, outfile, minify = false, metafile = false, alias }) {
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'neutral',
    // The conditions and main fields wrangler uses for Workers.
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    external: ['cloudflare:*', 'node:*'],
    minify,
    metafile,
    ...(alias ? { alias } : {}),
    sourcemap: false,
    logLevel: 'warning',
  });
  return result;
}

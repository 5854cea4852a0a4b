// Bundles a Worker's TypeScript entry into one ES module with the esbuild that wrangler itself
// depends on (wrangler's bundler), so Miniflare gets a single file as `wrangler dev` would.
import { createRequire } from 'node:module';

const fromHere = createRequire(import.meta.url);
const fromWrangler = createRequire(fromHere.resolve('wrangler/package.json'));
export const esbuild = fromWrangler('esbuild');

/**
 * `@pocket/*` resolve to the packages' `dist`, which a build running at the same time in the same
 * checkout (another terminal, a test run) empties for a moment; try again a few times before
 * giving up.
 */
export async function retryWhileDistMissing(what, run, attempts = 5) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const message = String(error?.message ?? error);
      if (attempt >= attempts || !/@pocket\/|dist\//.test(message) || !/resolve|not found|ENOENT/i.test(message)) throw error;
      console.error(`${what}: a package's dist is missing (being rebuilt?); trying again in 3 s`);
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
  }
}

export async function bundleWorker(options) {
  return retryWhileDistMissing(`bundling ${options.entry}`, () => bundleOnce(options));
}

async function bundleOnce({ entry, outfile, minify = false, metafile = false, alias }) {
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
    logLevel: 'silent',
  });
  return result;
}

// Release steps, in order: apply changesets to versions and changelogs, build, check the
// packages, publish. `--dry-run` does everything but write versions or publish.
import { run } from './lib/process.mjs';

const dryRun = process.argv.includes('--dry-run');
const pnpm = ['-y', 'pnpm@12.4.2'];

run('npx', [...pnpm, 'exec', 'changeset', 'status', '--verbose']);
if (!dryRun) run('npx', [...pnpm, 'exec', 'changeset', 'version']);
run('npx', [...pnpm, 'run', 'build']);
run('npx', [...pnpm, 'run', 'check:packages']);
run('npx', [...pnpm, '-r', '--filter', './packages/*', 'publish', '--access', 'public', '--no-git-checks', ...(dryRun ? ['--dry-run'] : [])]);
console.log(dryRun ? 'Release dry run passed: nothing was versioned or published.' : 'Published.');

// Runs before each test file. Every test starts from an empty database with migrations/
// applied, as `wrangler d1 migrations apply DB` does for a real one.
import { applyD1Migrations, reset } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeEach } from 'vitest';

beforeEach(async () => {
  await reset();
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
});

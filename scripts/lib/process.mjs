// Small helpers for scripts that start wrangler and talk to it over HTTP.
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';

export function run(command, args, options = {}) {
  console.log(`$ ${command} ${args.join(' ')}`);
  execFileSync(command, args, { stdio: 'inherit', ...options, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', ...options.env } });
}

/** A TCP port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `wrangler dev` on 127.0.0.1 in its own process group (so stopping it stops workerd
 * too) and resolves once the Worker answers.
 */
export async function startWrangler(cwd, port, { log = false, extraArgs = [] } = {}) {
  const child = spawn('npx', ['wrangler', 'dev', '--ip', '127.0.0.1', '--port', String(port), '--show-interactive-dev-session=false', ...extraArgs], {
    cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
  });
  let output = '';
  const collect = (chunk) => {
    output += chunk;
    if (log) process.stdout.write(chunk);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {}
  };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${output}`);
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      return { child, stop, output: () => output };
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  stop();
  throw new Error(`wrangler dev did not answer on port ${port} within 60 s:\n${output}`);
}

/** fetch() that fails loudly on an unexpected status. */
export async function expectStatus(url, init, status) {
  const response = await fetch(url, init);
  const text = await response.text();
  if (response.status !== status) throw new Error(`${init?.method ?? 'GET'} ${url}: expected ${status}, got ${response.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

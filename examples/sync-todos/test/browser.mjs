#!/usr/bin/env node
// The example in a real browser: headless Chromium (Debian's `chromium`, driven by
// playwright-core) against `wrangler dev`. Two tabs open one list and see each other's edits
// live; one goes offline (the page's button), edits, comes back, and the other sees those
// edits. Ends with a screenshot of both tabs side by side: docs/images/sync-todos.png.
//
//   node test/browser.mjs        (from examples/sync-todos, after building the packages)
//
// Exits 1 on any failure; wrangler dev and the browser are stopped whatever happens.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { freePort, startWrangler } from '../../../scripts/lib/process.mjs';

const example = fileURLToPath(new URL('..', import.meta.url));
const screenshot = fileURLToPath(new URL('../../../docs/images/sync-todos.png', import.meta.url));
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TIMEOUT = 10_000;

// A bound on the whole run, so CI never hangs here.
setTimeout(() => {
  console.error('✗ the browser test took longer than 120 s');
  process.exit(1);
}, 120_000).unref();

execFileSync('npm', ['run', 'build'], { cwd: example, stdio: 'inherit' });

const state = mkdtempSync(join(tmpdir(), 'pocket-sync-todos-'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
// Every run starts from an empty state directory, so a fixed list name starts empty too.
const list = 'home';
let server;
let browser;
let failed = false;

try {
  // An inspector port of its own: another wrangler dev on this machine may hold the default.
  server = await startWrangler(example, port, { extraArgs: ['--persist-to', state, '--inspector-port', String(await freePort())] });
  browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const context = await browser.newContext({ viewport: { width: 560, height: 460 } });
  const ann = await openTab(context, 'Ann');
  const ben = await openTab(context, 'Ben');

  await step('a todo added in one tab appears in the other', async () => {
    await add(ann, 'Buy oat milk');
    await add(ann, 'Water the plants');
    await expectTitles(ben, ['Buy oat milk', 'Water the plants']);
  });

  await step('toggles, renames and deletes reach the other tab live', async () => {
    await row(ben, 'Buy oat milk').locator('input.done').check();
    await expectCompleted(ann, 'Buy oat milk', true);
    await rename(ann, 'Water the plants', 'Water the ferns');
    await expectTitles(ben, ['Buy oat milk', 'Water the ferns']);
    await add(ben, 'Call the plumber');
    await expectTitles(ann, ['Buy oat milk', 'Water the ferns', 'Call the plumber']);
    await row(ann, 'Call the plumber').locator('button.delete').click();
    await expectTitles(ben, ['Buy oat milk', 'Water the ferns']);
  });

  await step('edits made offline stay local, then sync when the tab goes online', async () => {
    await ann.click('#toggle-connection');
    await expectStatus(ann, 'stopped');
    await add(ann, 'Written offline');
    await row(ann, 'Water the ferns').locator('input.done').check();
    await rename(ann, 'Buy oat milk', 'Buy oat milk (2 l)');
    await expectTitles(ann, ['Buy oat milk (2 l)', 'Water the ferns', 'Written offline']);
    // Ben keeps editing meanwhile, and must not see Ann's offline edits yet.
    await add(ben, 'Added while Ann was away');
    await ben.waitForTimeout(1_000);
    await expectTitles(ben, ['Buy oat milk', 'Water the ferns', 'Added while Ann was away']);
    await expectCompleted(ben, 'Water the ferns', false);

    await ann.click('#toggle-connection');
    await expectStatus(ann, 'online');
    // In order of creation: Ann's offline todo was added first.
    await expectTitles(ben, ['Buy oat milk (2 l)', 'Water the ferns', 'Written offline', 'Added while Ann was away']);
    await expectCompleted(ben, 'Water the ferns', true);
    await expectTitles(ann, ['Buy oat milk (2 l)', 'Water the ferns', 'Written offline', 'Added while Ann was away']);
  });

  await step('a fresh tab loads the whole list from the server', async () => {
    const carla = await openTab(context, 'Carla');
    await expectTitles(carla, ['Buy oat milk (2 l)', 'Water the ferns', 'Written offline', 'Added while Ann was away']);
    await carla.close();
  });

  await step(`two tabs side by side, one offline with an edit of its own; screenshot to ${screenshot}`, async () => {
    const side = await browser.newPage({ viewport: { width: 1280, height: 400 } });
    // The frames' parent must be a secure context (here: served from 127.0.0.1) for theirs to be
    // one, and Pocket makes ids with crypto.randomUUID(), which only secure contexts have.
    await side.goto(`${base}/`);
    const src = (name) => `${base}/?list=${list}&name=${name}`;
    // Two copies of the app in frames: each is a tab of its own (its own database and socket).
    await side.setContent(
      `<body style="margin:0;display:flex;gap:8px;background:#ccc">` +
        `<iframe src="${src('Ann')}" style="flex:1;height:400px;border:0;background:#fff"></iframe>` +
        `<iframe src="${src('Ben')}" style="flex:1;height:400px;border:0;background:#fff"></iframe></body>`,
    );
    const [left, right] = side.frames().slice(1);
    for (const frame of [left, right]) await expectTitles(frame, ['Buy oat milk (2 l)', 'Water the ferns', 'Written offline', 'Added while Ann was away']);
    await left.click('#toggle-connection');
    await expectStatus(left, 'stopped');
    await add(left, 'Pick up the parcel');
    await expectTitles(left, ['Buy oat milk (2 l)', 'Water the ferns', 'Written offline', 'Added while Ann was away', 'Pick up the parcel']);
    mkdirSync(join(screenshot, '..'), { recursive: true });
    await side.screenshot({ path: screenshot });
    await left.click('#toggle-connection');
    await expectStatus(left, 'online');
    await expectTitles(right, ['Buy oat milk (2 l)', 'Water the ferns', 'Written offline', 'Added while Ann was away', 'Pick up the parcel']);
  });
} catch (error) {
  failed = true;
  console.error(`✗ ${error instanceof Error ? (error.stack ?? error.message) : error}`);
  if (server) console.error(`wrangler dev said:\n${server.output().slice(-4_000)}`);
} finally {
  await browser?.close().catch(() => undefined);
  server?.stop();
  await new Promise((r) => setTimeout(r, 500));
  rmSync(state, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

// ---- helpers ------------------------------------------------------------------------------

async function step(name, run) {
  const started = Date.now();
  await run();
  console.log(`✓ ${name} (${Date.now() - started} ms)`);
}

/** A tab on the test's list as `name`, once it is online with the list loaded. */
async function openTab(context, name) {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[${name}] page error: ${error.message}`));
  await page.goto(`${base}/?list=${list}&name=${name}`);
  await expectStatus(page, 'online');
  return page;
}

async function add(page, title) {
  await page.fill('#new-title', title);
  await page.press('#new-title', 'Enter');
}

async function rename(page, from, to) {
  const title = row(page, from).locator('input.title');
  await title.fill(to);
  await title.press('Enter');
}

/** The row whose title is `title` (titles are unique in this test). */
function row(page, title) {
  return page.locator('#todos li').filter({ has: page.locator(`input.title[value="${title}"]`) });
}

function titles(page) {
  return page.$$eval('#todos li input.title', (inputs) => inputs.map((input) => input.value));
}

async function expectTitles(page, expected) {
  try {
    await page.waitForFunction(
      (want) => JSON.stringify([...document.querySelectorAll('#todos li input.title')].map((i) => i.value)) === want,
      JSON.stringify(expected),
      { timeout: TIMEOUT },
    );
  } catch {
    const seen = JSON.stringify(await titles(page));
    throw new Error(
      `expected the titles ${JSON.stringify(expected)}, the page (${page.url()}) shows ${seen}, status "${await page.textContent('#status')}", note "${await page.textContent('#note')}"`,
    );
  }
}

async function expectCompleted(page, title, completed) {
  await page.waitForFunction(
    ({ title, completed }) =>
      [...document.querySelectorAll('#todos li')].some(
        (li) => li.querySelector('input.title')?.value === title && li.querySelector('input.done')?.checked === completed,
      ),
    { title, completed },
    { timeout: TIMEOUT },
  );
}

async function expectStatus(page, status) {
  try {
    await page.waitForFunction((want) => document.getElementById('status')?.dataset.status === want, status, { timeout: TIMEOUT });
  } catch {
    throw new Error(`expected the status "${status}", the page shows "${await page.textContent('#status')}"`);
  }
}

// After `vitepress build`: fails if a link of the built site points at a #heading that does not
// exist on its page. VitePress itself fails the build on links to missing pages, not anchors.
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../.vitepress/dist', import.meta.url));

function htmlFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'assets' ? [] : htmlFiles(path);
    return entry.name.endsWith('.html') ? [path] : [];
  });
}

// Site path of a page ('/d1', '/api/'), as links name it with cleanUrls.
const sitePath = (file) => `/${relative(dist, file).split(sep).join('/')}`.replace(/index\.html$/, '').replace(/\.html$/, '');
const decode = (text) => decodeURIComponent(text.replace(/&amp;/g, '&'));

const pages = new Map();
for (const file of htmlFiles(dist)) {
  const html = readFileSync(file, 'utf8');
  const ids = new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => decode(m[1])));
  const links = [...html.matchAll(/<a\s[^>]*href="([^"]*#[^"]+)"/g)].map((m) => m[1]);
  pages.set(sitePath(file), { ids, links });
}

const broken = [];
for (const [page, { links }] of pages) {
  for (const link of links) {
    if (/^[a-z]+:/i.test(link)) continue; // another site
    const [target, fragment] = link.split('#');
    const base = page.endsWith('/') ? page : posix.dirname(page) + '/';
    const path = target === '' ? page : posix.normalize(target.startsWith('/') ? target : base + target).replace(/\.html$/, '');
    const ids = pages.get(path)?.ids ?? pages.get(`${path}/`)?.ids;
    if (!ids) broken.push(`${page}: ${link} (no page ${path})`);
    else if (!ids.has(decode(fragment))) broken.push(`${page}: ${link} (no #${decode(fragment)} on ${path})`);
  }
}

if (broken.length > 0) {
  console.error(`[pocket/docs] ${broken.length} link(s) to a heading that does not exist:\n  ${broken.join('\n  ')}`);
  process.exit(1);
}
console.log(`[pocket/docs] anchors: every #link of ${pages.size} pages points at a heading that exists.`);

import { defineConfig } from 'vitepress';

// The docs site. Pages are the Markdown files of docs/ as they are read on GitHub; api/ is
// generated from the TSDoc comments by scripts/api.mjs before every build.
export default defineConfig({
  title: 'Pocket',
  description: 'A typed document database for Cloudflare Workers, D1 and Durable Objects.',
  cleanUrls: true,
  // Only the docs are pages: the type-check and SQL-check projects live here too.
  srcExclude: ['seed-runtime/**', 'test/**', 'README.md'],
  // A link to a page or heading that does not exist fails the build (VitePress's default for
  // pages; scripts/check-anchors.mjs does the same for #headings).
  ignoreDeadLinks: false,
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/getting-started' },
      { text: 'API', link: '/api/' },
    ],
    sidebar: [
      {
        text: 'Get started',
        items: [
          { text: 'Installation', link: '/installation' },
          { text: 'Getting started', link: '/getting-started' },
          { text: 'Core concepts', link: '/concepts' },
          { text: 'Deploying', link: '/deploying' },
        ],
      },
      {
        text: 'Guides',
        items: [
          { text: 'D1', link: '/d1' },
          { text: 'Durable Objects', link: '/durable-objects' },
          { text: 'Hono', link: '/hono' },
          { text: 'Schema and indexes over time', link: '/schema-migrations' },
          { text: 'Transactions and atomicity', link: '/transactions' },
          { text: 'Pagination', link: '/pagination' },
          { text: 'Testing your Worker', link: '/testing' },
          { text: 'Revisions and the change feed', link: '/concurrency' },
          { text: 'Sync', link: '/sync' },
          { text: 'Multi-tenancy', link: '/multi-tenancy' },
          { text: 'Caching', link: '/caching' },
          { text: 'Observability', link: '/observability' },
        ],
      },
      {
        text: 'Reference',
        items: [
          { text: 'API', link: '/api/' },
          { text: 'Queries', link: '/queries' },
          { text: 'Errors', link: '/errors' },
          { text: 'Limitations', link: '/limitations' },
          { text: 'Performance', link: '/performance' },
        ],
      },
      {
        text: 'Internals',
        items: [
          { text: 'Architecture', link: '/architecture' },
          { text: 'Reliability', link: '/reliability' },
        ],
      },
    ],
    search: { provider: 'local' },
    outline: [2, 3],
  },
});

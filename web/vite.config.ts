// The web UI: Svelte 5 pages, built twice by `npm run build:web`:
// - the browser build (dist/web/client): one entry per page, hashed names under /res/, a manifest
//   the server reads to link each page's JS and CSS;
// - the server build (dist/web/server/render.js, `--ssr`): renders the same components to HTML,
//   so pages arrive complete and the browser only hydrates them.
import { svelte } from '@sveltejs/vite-plugin-svelte';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));
// STOWAGE_WEB_OUT: another output folder (parallel builds; the server reads STOWAGE_WEB_DIR).
const out = path.resolve(process.env.STOWAGE_WEB_OUT ?? path.join(here, '../dist/web'));
export const PAGES = ['home', 'viewer', 'account', 'auth', 'about', 'error', 'admin', 'filesystem'];

export default defineConfig(({ isSsrBuild }) => ({
  root: here,
  base: '/',
  logLevel: 'warn',
  plugins: [svelte()],
  publicDir: false,
  build: isSsrBuild
    ? {
        outDir: path.join(out, 'server'),
        emptyOutDir: true,
        rolldownOptions: {
          input: { render: path.join(here, 'src/render.ts') },
          checks: { bundlerTimings: false },
        },
        target: 'node20',
      }
    : {
        outDir: path.join(out, 'client'),
        emptyOutDir: true,
        assetsDir: 'res',
        manifest: true,
        target: 'es2022',
        modulePreload: { polyfill: false },
        rolldownOptions: {
          input: Object.fromEntries(PAGES.map((p) => [p, path.join(here, `src/entries/${p}.ts`)])),
          // Rolldown's "plugins took N s" notice: the Svelte compiler is most of any build here.
          checks: { bundlerTimings: false },
        },
      },
  // The server bundle carries Svelte's server runtime: production needs no devDependency.
  ssr: { noExternal: true },
}));

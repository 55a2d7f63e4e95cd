import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PageName } from './page-types.js';

/** Vite's manifest entry (build.manifest). */
interface ManifestChunk {
  file: string;
  css?: string[];
  imports?: string[];
  isEntry?: boolean;
}

export interface PageAssets {
  js: string[];
  css: string[];
  preload: string[];
}

interface Asset {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
  etag: string;
}

type RenderFn = (page: PageName, props: unknown) => { head: string; body: string };

/** The build's own file kinds, with charsets (`mime` 3 says application/javascript, no charset). */
const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  // PDF.js's worker (a module worker: the type must be JavaScript's).
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/**
 * The built web UI (dist/web): the browser files, held in memory with their gzip (about 2.5 MiB in
 * all, 1.2 MiB of it PDF.js's worker), each page's entry and the CSS and chunks it needs, and
 * the server renderer.
 */
export class WebAssets {
  private constructor(
    private readonly files: Map<string, Asset>,
    private readonly pages: Map<PageName, PageAssets>,
    readonly render: RenderFn,
  ) {}

  /** Null when the UI has not been built (the API still serves; pages answer 503). */
  static async load(webDir: string): Promise<WebAssets | null> {
    const manifestPath = path.join(webDir, 'client', '.vite', 'manifest.json');
    const rendererPath = path.join(webDir, 'server', 'render.js');
    if (!fs.existsSync(manifestPath) || !fs.existsSync(rendererPath)) return null;
    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as Record<
      string,
      ManifestChunk
    >;
    const files = new Map<string, Asset>();
    const resDir = path.join(webDir, 'client', 'res');
    for (const name of fs.readdirSync(resDir)) {
      const body = fs.readFileSync(path.join(resDir, name));
      const type = TYPES[path.extname(name)] ?? 'application/octet-stream';
      const compressible = /^(text\/|application\/json|image\/svg)/.test(type);
      const gzip = compressible && body.length > 512 ? gzipSync(body, { level: 9 }) : null;
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
      files.set(name, { body, gzip, type, etag });
    }
    const pages = new Map<PageName, PageAssets>();
    for (const [key, chunk] of Object.entries(manifest)) {
      const page = /^src\/entries\/([a-z]+)\.ts$/.exec(key)?.[1];
      if (!chunk.isEntry || !page) continue;
      const css = new Set<string>();
      const preload = new Set<string>();
      const walk = (c: ManifestChunk, top: boolean) => {
        for (const f of c.css ?? []) css.add(`/${f}`);
        if (!top) preload.add(`/${c.file}`);
        for (const key of c.imports ?? []) {
          const dep = manifest[key];
          if (dep && !preload.has(`/${dep.file}`)) walk(dep, false);
        }
      };
      walk(chunk, true);
      pages.set(page as PageName, { js: [`/${chunk.file}`], css: [...css], preload: [...preload] });
    }
    const mod = (await import(pathToFileURL(rendererPath).href)) as { render: RenderFn };
    return new WebAssets(files, pages, mod.render);
  }

  page(name: PageName): PageAssets {
    const p = this.pages.get(name);
    if (!p) throw new Error(`web UI: no built entry for page "${name}"`);
    return p;
  }

  /** The gzipped bytes of each page's JS and CSS (for the bench's report). */
  sizes(): Record<string, { js: number; css: number }> {
    const out: Record<string, { js: number; css: number }> = {};
    const gz = (href: string) => {
      const a = this.files.get(href.replace(/^\/res\//, ''));
      return a ? (a.gzip ?? a.body).length : 0;
    };
    for (const [name, p] of this.pages) {
      out[name] = {
        js: [...p.js, ...p.preload].reduce((n, f) => n + gz(f), 0),
        css: p.css.reduce((n, f) => n + gz(f), 0),
      };
    }
    return out;
  }

  /** GET/HEAD /res/{name}: hashed names, so cached for a year and never revalidated. */
  register(app: FastifyInstance, schema: Record<string, unknown>): void {
    app.get(
      '/res/:name',
      { schema },
      (req: FastifyRequest<{ Params: { name: string } }>, reply: FastifyReply) => {
        const asset = this.files.get(req.params.name);
        if (!asset) return reply.code(404).type('text/plain; charset=utf-8').send('Not found\n');
        reply.header('Cache-Control', 'public, max-age=31536000, immutable');
        reply.header('ETag', asset.etag);
        reply.header('Vary', 'Accept-Encoding');
        reply.header('X-Content-Type-Options', 'nosniff');
        reply.type(asset.type);
        if (req.headers['if-none-match'] === asset.etag) return reply.code(304).send();
        const accepts = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
        if (asset.gzip && accepts) {
          reply.header('Content-Encoding', 'gzip');
          return reply.send(asset.gzip);
        }
        return reply.send(asset.body);
      },
    );
  }
}

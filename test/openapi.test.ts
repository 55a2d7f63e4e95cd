import diagnostics from 'node:diagnostics_channel';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileRecord } from '../src/core/records.js';
import SwaggerParser from '@apidevtools/swagger-parser';
import { LITERAL_PATHS } from '../src/http/openapi.js';
import { fileInfo } from '../src/http/pixeldrain/file-info.js';
import { ROOT, startServer, type TestServer } from './helpers.js';

/** Routes that are not part of the API: the docs page and the document itself. */
const UNDOCUMENTED = [/^\/api\/docs(\/|$)/, /^\/api\/openapi\.json$/];

interface Operation {
  summary?: string;
  tags?: string[];
  parameters?: { in: string; name: string }[];
  responses: Record<
    string,
    { description: string; content?: Record<string, { schema?: unknown }> }
  >;
}
interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
}

const FILE_INFO_KEYS = [
  'success',
  'id',
  'name',
  'size',
  'views',
  'bandwidth_used',
  'bandwidth_used_paid',
  'downloads',
  'date_upload',
  'date_last_view',
  'mime_type',
  'thumbnail_href',
  'hash_sha256',
  'delete_after_date',
  'delete_after_downloads',
  'availability',
  'availability_message',
  'abuse_type',
  'abuse_reporter_name',
  'can_edit',
  'can_download',
  'show_ads',
  'allow_video_player',
  'download_speed_limit',
];

/**
 * Fastify's `/file/:id` as OpenAPI's `/file/{id}` (a regex after the name is not part of it; it
 * may hold one level of groups) and a wildcard `*` as `{*}`, as @fastify/swagger writes them.
 */
const swaggerPath = (url: string) =>
  url.replace(/:([A-Za-z0-9_]+)(?:\((?:[^()]|\([^()]*\))*\))?/g, '{$1}').replace(/\*/g, '{*}');
/**
 * Where the document has a route: cleanOpenApi's changes (literal paths, `{*}` as `{path}`), and
 * parameters compared by position only (OpenAPI allows one template per shape).
 */
const signature = (p: string) => p.replace(/\{[^}]*\}/g, '{}');
const openApiPath = (url: string) => {
  const p = swaggerPath(url);
  return signature((LITERAL_PATHS[p] ?? p).replace(/\{\*\}/g, '{path}'));
};

let server: TestServer;
let doc: OpenApiDoc;
/** Every route the server registered, seen by an onRoute hook of our own (not swagger's). */
const routes: { method: string; url: string }[] = [];

beforeAll(async () => {
  // Fastify announces each new instance before any plugin runs: hook it from here, so the
  // route list does not depend on the code under test.
  const onInit = (message: unknown) => {
    const { fastify } = message as { fastify: FastifyInstance };
    fastify.addHook('onRoute', (r: RouteOptions) => {
      for (const method of [r.method].flat()) routes.push({ method, url: r.url });
    });
  };
  diagnostics.subscribe('fastify.initialization', onInit);
  try {
    server = await startServer();
  } finally {
    diagnostics.unsubscribe('fastify.initialization', onInit);
  }
  const r = await fetch(`${server.url}/api/openapi.json`);
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  doc = (await r.json()) as OpenApiDoc;
});

afterAll(async () => {
  await server?.close();
});

describe('the OpenAPI document', () => {
  it('is an OpenAPI 3 document titled Stowage API, versioned as the package', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info.title).toBe('Stowage API');
    expect(doc.info.version).toBe(pkg.version);
    expect(doc.info.description).toMatch(/pixeldrain/);
    expect(Object.keys(doc.paths).length).toBeGreaterThan(10);
    for (const name of ['FileInfo', 'ListInfo', 'ListFile', 'UserInfo', 'Session', 'Error', 'Ok']) {
      expect(doc.components.schemas, name).toHaveProperty(name);
    }
  });

  it('is valid OpenAPI 3.0 (swagger-parser: the schema, paths, parameters, references)', async () => {
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
  });

  it('documents every registered route with its method, and nothing else', () => {
    const apiRoutes = routes.filter(
      (r) =>
        // Fastify adds a HEAD route to each GET by itself: documented with the GET.
        r.method !== 'HEAD' && !UNDOCUMENTED.some((re) => re.test(r.url)),
    );
    expect(apiRoutes.length).toBeGreaterThan(20);
    const bySignature = new Map(Object.entries(doc.paths).map(([p, ops]) => [signature(p), ops]));
    const missing = apiRoutes
      .filter((r) => !bySignature.get(openApiPath(r.url))?.[r.method.toLowerCase()])
      .map((r) => `${r.method} ${r.url}`);
    expect(missing).toEqual([]);

    const registered = new Set(apiRoutes.map((r) => `${r.method} ${openApiPath(r.url)}`));
    const stale = Object.entries(doc.paths)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${signature(p)}`))
      .filter((op) => !registered.has(op));
    expect(stale).toEqual([]);
  });

  it('gives every operation a summary, a tag, its path parameters and a response schema', () => {
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method.toUpperCase()} ${p}`;
        expect(op.summary, where).toBeTruthy();
        expect(op.tags?.length, where).toBeGreaterThan(0);
        for (const [, name] of p.matchAll(/\{([^}]+)\}/g)) {
          expect(
            op.parameters?.some((x) => x.in === 'path' && x.name === name),
            `${where}: {${name}}`,
          ).toBe(true);
        }
        const responses = Object.entries(op.responses);
        // swagger's placeholder when a route has no response schema at all
        expect(op.responses['200']?.description, where).not.toBe('Default Response');
        const withSchema = responses.filter(([, r]) =>
          Object.values(r.content ?? {}).some((m) => m.schema),
        );
        expect(withSchema.length, where).toBeGreaterThan(0);
      }
    }
  });

  it('resolves every $ref to a component', () => {
    const refs = new Set<string>();
    const walk = (o: unknown): void => {
      if (!o || typeof o !== 'object') return;
      for (const [k, v] of Object.entries(o)) {
        if (k === '$ref' && typeof v === 'string') refs.add(v);
        else walk(v);
      }
    };
    walk(doc);
    expect(refs.size).toBeGreaterThan(5);
    for (const ref of refs) {
      const name = /^#\/components\/schemas\/(.+)$/.exec(ref)?.[1];
      expect(name && doc.components.schemas[name], ref).toBeTruthy();
    }
  });

  it('lists FileInfo fields in the order the server renders them', () => {
    const record: FileRecord = {
      id: 'abcdEFGH',
      name: 'a.txt',
      size: 1,
      mimeType: 'text/plain',
      blobKey: '0'.repeat(64),
      blobLocation: '',
      ownerId: null,
      deleteKeyHash: null,
      createdAt: 0,
      lastViewAt: 0,
      views: 0,
      downloads: 0,
      bandwidthUsed: 0,
      bandwidthPaid: 0,
    };
    const rendered = Object.keys(fileInfo(record, false));
    expect(rendered).toEqual(FILE_INFO_KEYS);
    expect(Object.keys(doc.components.schemas.FileInfo!.properties!)).toEqual(rendered);
    expect(Object.keys(doc.components.schemas.ListFile!.properties!)).toEqual([
      'detail_href',
      'description',
      ...rendered,
    ]);
  });
});

describe('the docs page', () => {
  it('is served at /api/docs with its assets from this server (no CDN)', async () => {
    const r = await fetch(`${server.url}/api/docs`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await r.text();
    expect(html).toContain('<div id="swagger-ui">');
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('swagger-ui-bundle.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('swagger-ui.css'))).toBe(true);
    for (const asset of assets) {
      expect(asset, asset).not.toMatch(/^(https?:)?\/\//);
      const a = await fetch(new URL(asset, `${server.url}/api/docs`));
      expect(a.status, asset).toBe(200);
      expect((await a.arrayBuffer()).byteLength, asset).toBeGreaterThan(0);
    }
    // The page loads the document from ./json: the same document as /api/openapi.json.
    const init = await (await fetch(`${server.url}/api/docs/static/swagger-initializer.js`)).text();
    expect(init).toContain("resolveUrl('./json')");
    expect(init).toMatch(/validatorUrl: null/);
    expect(await (await fetch(`${server.url}/api/docs/json`)).json()).toEqual(doc);
  });
});

describe('compression', () => {
  const get = (url: string, encoding: string) =>
    fetch(url, { headers: { 'Accept-Encoding': encoding } });

  it('the docs page assets go out compressed, 3 times smaller at least', async () => {
    const plain = await get(`${server.url}/api/docs/static/swagger-ui-bundle.js`, 'identity');
    const size = (await plain.arrayBuffer()).byteLength;
    expect(plain.headers.get('content-encoding')).toBeNull();
    for (const encoding of ['gzip', 'br']) {
      const r = await new Promise<{ encoding?: string; bytes: number }>((resolve, reject) => {
        const req = http.get(
          `${server.url}/api/docs/static/swagger-ui-bundle.js`,
          { headers: { 'Accept-Encoding': encoding } },
          (res) => {
            let bytes = 0;
            res.on('data', (c: Buffer) => (bytes += c.length));
            res.on('end', () => resolve({ encoding: res.headers['content-encoding'], bytes }));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
      });
      expect(r.encoding).toBe(encoding);
      expect(r.bytes * 3).toBeLessThan(size);
    }
  });

  it('nothing outside the docs page is compressed on the fly (downloads, API answers)', async () => {
    const up = await fetch(`${server.url}/api/file/text.txt`, {
      method: 'PUT',
      body: 'a'.repeat(50_000),
    });
    const { id } = (await up.json()) as { id: string };
    for (const path of [`/api/file/${id}`, `/api/file/${id}/info`, '/api/openapi.json']) {
      const r = await get(`${server.url}${path}`, 'gzip, br');
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-encoding'), path).toBeNull();
    }
  });
});

describe('schemas are a contract only', () => {
  it('do not validate requests: the handlers still answer in pixeldrain’s error shape', async () => {
    // A body the ListBody schema refuses (title is a string, files an array).
    let r = await fetch(`${server.url}/api/list`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: 5, files: 'x' }),
    });
    expect(r.status).toBe(422);
    expect(await r.text()).toBe(
      '{"success":false,"value":"json_parse_failed","message":"The JSON object in the request body could not be read."}',
    );

    // A query value outside the documented enum, and a form without its required fields.
    r = await fetch(`${server.url}/api/user/files?format=bogus`);
    expect(r.status).toBe(401);
    expect(await r.json()).toMatchObject({ success: false, value: 'authentication_required' });
    r = await fetch(`${server.url}/api/user/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(r.status).toBe(400);
    const body = (await r.json()) as { value: string; errors: { value: string }[] };
    expect(body.value).toBe('multiple_errors');
    expect(body.errors.map((e) => e.value)).toContain('missing_field');
  });

  it('do not serialise replies: FileInfo keeps every field in order, compact', async () => {
    const put = await fetch(`${server.url}/api/file/contract.txt`, {
      method: 'PUT',
      body: 'hello openapi',
    });
    expect(put.status).toBe(201);
    const text = await put.text();
    const info = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(info)).toEqual([...FILE_INFO_KEYS, 'deleteKey']);
    expect(text).toBe(JSON.stringify(info));

    const get = await fetch(`${server.url}/api/file/${info.id as string}/info`);
    expect(Object.keys((await get.json()) as object)).toEqual(FILE_INFO_KEYS);

    const list = await fetch(`${server.url}/api/list`, {
      method: 'POST',
      body: JSON.stringify({ title: 't', files: [{ id: info.id, description: 'd' }] }),
    });
    expect(list.status).toBe(201);
    const { id: listId } = (await list.json()) as { id: string };
    const listInfo = (await (await fetch(`${server.url}/api/list/${listId}`)).json()) as {
      files: object[];
    };
    expect(Object.keys(listInfo)).toEqual([
      'success',
      'id',
      'title',
      'date_created',
      'file_count',
      'can_edit',
      'files',
    ]);
    expect(Object.keys(listInfo.files[0]!)).toEqual([
      'detail_href',
      'description',
      ...FILE_INFO_KEYS,
    ]);
  });

  it('do not filter object replies either (health)', async () => {
    const r = await fetch(`${server.url}/api/health`);
    expect(r.status).toBe(200);
    const text = await r.text();
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(body.status).toBe('ok');
    expect(text).toBe(JSON.stringify(body));
    expect(Object.keys(body)[0]).toBe('status');
  });
});

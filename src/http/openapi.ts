import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import compress from '@fastify/compress';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { cleanOpenApi } from './openapi-clean.js';
import type { FastifyInstance } from 'fastify';

/** Where the generated document and its docs page are served. */
export const OPENAPI_JSON = '/api/openapi.json';
export const DOCS_PREFIX = '/api/docs';

/**
 * Route schemas are a documented contract, not a validator or a serializer: every dialect reads
 * its requests and renders its replies (and its errors) itself, in its own shape and field order.
 * Called on the root instance before any route exists, so every scope inherits it.
 */
export function schemasAsContractOnly(app: FastifyInstance): void {
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
}

/** The version in package.json, from src/http or dist/src/http alike. */
export function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'stowage' && pkg.version) return pkg.version;
    } catch {
      // not here: look one level up
    }
  }
  return '0.0.0';
}

const DESCRIPTION = `Stowage is a self-hosted file-sharing server that speaks existing upload APIs, so the clients people already use work against it unchanged. It has three dialects: **pixeldrain** (\`/api/file\`, \`/api/list\`, \`/api/user\`: documented here), **FileBin** and **Chevereto** (each documented here as it lands).

pixeldrain conventions: replies are compact JSON with fields in the documented order (clients regex raw bodies); every error is \`{"success":false,"value":"…","message":"…"}\`, with \`extra\` for details and \`errors\` for \`multiple_errors\`. API keys go as the HTTP Basic **password** (any user name) or in the \`pd_auth_key\` cookie. Paths ending in \`_href\` are relative to \`/api\`.`;

/**
 * Paths documented with a literal segment: Chevereto's version is a number (its route's regex), which
 * OpenAPI cannot tell from FileBin's `v…` at the same place.
 */
export const LITERAL_PATHS: Record<string, string> = {
  '/api/{version}/{action}': '/api/1/{action}',
};

/**
 * @fastify/swagger (the document, built from every route's schema as routes are added: register
 * this before the API plugins) and @fastify/swagger-ui (the docs page, its assets served from the
 * installed package). `components` are the shared schemas routes reference by `$id`.
 */
export async function registerOpenApi(
  app: FastifyInstance,
  opts: { components: readonly Record<string, unknown>[] },
): Promise<void> {
  for (const schema of opts.components) app.addSchema(schema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Stowage API', version: packageVersion(), description: DESCRIPTION },
      servers: [{ url: '/', description: 'This server' }],
      tags: [
        { name: 'files', description: 'pixeldrain: upload, download, info, delete, rename' },
        { name: 'lists', description: 'pixeldrain: lists (albums) of files' },
        { name: 'account', description: 'pixeldrain: accounts, log-in, API keys' },
        {
          name: 'filesystem',
          description:
            'pixeldrain: the filesystem API, each account’s tree of directories and files (`/me`) and shared nodes (`/{id}`, public link /d/{id}), as rclone uses it',
        },
        { name: 'misc', description: 'Health and client configuration files' },
        {
          name: 'FileBin',
          description:
            'FileBin API v2 (/api/v{version}/{namespace}/{method}, PHP-style JSON, every error HTTP 400) and the pages its URLs point to',
        },
        {
          name: 'Chevereto',
          description:
            'Chevereto API v1 (/api/1/upload: ShareX, imgbb-uploader…; errors HTTP 400 with Chevereto’s codes) and the viewer, companion images and delete links under /image/{id}',
        },
      ],
      components: {
        securitySchemes: {
          basicAuth: {
            type: 'http',
            scheme: 'basic',
            description: 'An API key as the password; the user name is ignored',
          },
          cookieAuth: {
            type: 'apiKey',
            in: 'cookie',
            name: 'pd_auth_key',
            description: 'An API key in the cookie set by POST /api/user/login',
          },
        },
      },
    },
    transformObject: (documentObject) =>
      cleanOpenApi(
        (documentObject as { openapiObject: Record<string, unknown> }).openapiObject,
        LITERAL_PATHS,
      ),
    // Components are named by their $id (FileInfo, Error…), not def-0, def-1…
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
  });
  // The docs page's assets (about 1.9 MB of JS and CSS) go out compressed; its scope only, so
  // no download or API answer is ever compressed on the fly.
  await app.register(async (docs) => {
    await docs.register(compress, { global: true, encodings: ['br', 'gzip'], threshold: 1024 });
    await docs.register(swaggerUi, {
      routePrefix: DOCS_PREFIX,
      uiConfig: { deepLinking: true, docExpansion: 'list' },
      theme: { title: 'Stowage API' },
    });
  });
  app.get(OPENAPI_JSON, { schema: { hide: true } }, (_req, reply) => reply.send(app.swagger()));
}

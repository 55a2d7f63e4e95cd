import { describe, expect, it } from 'vitest';
import { cleanOpenApi } from './openapi-clean.js';

const param = (name: string) => ({ in: 'path', name, required: true, schema: { type: 'string' } });
const op = (...names: string[]) => ({ summary: 's', parameters: names.map(param), responses: {} });

describe('cleanOpenApi', () => {
  it('drops empty required lists at any depth, keeps the others', () => {
    const doc = cleanOpenApi({
      paths: {},
      components: {
        schemas: {
          A: { type: 'object', required: [], properties: { b: { type: 'object', required: [] } } },
          C: { type: 'object', required: ['x'] },
        },
      },
    });
    expect(JSON.stringify(doc)).not.toContain('"required":[]');
    expect((doc.components as { schemas: { C: unknown } }).schemas.C).toEqual({
      type: 'object',
      required: ['x'],
    });
  });

  it('writes the wildcard as {path} and drops parameters the path does not have', () => {
    const doc = cleanOpenApi({ paths: { '/index.php/api/{*}': { get: op('version', '*') } } });
    expect(doc.paths).toEqual({ '/index.php/api/{path}': { get: op('path') } });
  });

  it('joins paths that differ only by parameter names, renaming by position', () => {
    const doc = cleanOpenApi({
      paths: { '/file/{id}': { get: op('id') }, '/file/{name}': { put: op('name') } },
    });
    expect(doc.paths).toEqual({ '/file/{id}': { get: op('id'), put: op('id') } });
  });

  it('refuses one method on two paths of the same shape (a route OpenAPI cannot describe)', () => {
    expect(() =>
      cleanOpenApi({ paths: { '/a/{x}': { get: op('x') }, '/a/{y}': { get: op('y') } } }),
    ).toThrow(/GET \/a\/\{y\} and \/a\/\{x\} are one path/);
  });

  it('rewrites the literal paths it is given first', () => {
    const doc = cleanOpenApi(
      {
        paths: {
          '/api/{version}/{*}': { get: op('version', '*') },
          '/api/{version}/{action}': { get: op('version', 'action') },
        },
      },
      { '/api/{version}/{action}': '/api/1/{action}' },
    );
    expect(Object.keys(doc.paths as object)).toEqual(['/api/{version}/{path}', '/api/1/{action}']);
    expect((doc.paths as Record<string, { get: unknown }>)['/api/1/{action}']!.get).toEqual(
      op('action'),
    );
  });
});

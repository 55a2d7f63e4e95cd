/**
 * The document @fastify/swagger builds from the routes, made a valid OpenAPI 3.0 document:
 * - no empty `required: []` (schemas of optional-only forms);
 * - Fastify's wildcard `*` is the path parameter `{path}` (OpenAPI has no `{*}`);
 * - a path parameter is declared only where the path has it;
 * - paths that differ only by the names of their parameters (`/file/{name}` for PUT,
 *   `/file/{id}` for the rest) are one path: OpenAPI forbids two such templates.
 * `literal` rewrites paths whose parameter only takes one value where a route regex says so but
 * OpenAPI could not tell them apart from another route's (Chevereto's `/api/{version}/{action}`
 * is `/api/1/{action}`, beside FileBin's `/api/{version}/{path}`).
 */

type Json = Record<string, unknown>;
interface Parameter {
  in: string;
  name: string;
  [k: string]: unknown;
}
type Operation = Json & { parameters?: Parameter[] };
type PathItem = Record<string, Operation>;

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

export function cleanOpenApi<T extends Json>(doc: T, literal: Record<string, string> = {}): T {
  dropEmptyRequired(doc);
  const paths = (doc.paths ?? {}) as Record<string, PathItem>;
  const out: Record<string, PathItem> = {};
  const bySignature = new Map<string, string>();
  for (const [original, item] of Object.entries(paths)) {
    let p = literal[original] ?? original;
    p = p.replace(/\{\*\}/g, '{path}');
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.has(method) || !op.parameters) continue;
      for (const param of op.parameters)
        if (param.in === 'path' && param.name === '*') param.name = 'path';
    }
    const names = templateNames(p);
    const signature = p.replace(/\{[^}]*\}/g, '{}');
    const first = bySignature.get(signature);
    if (first === undefined) {
      bySignature.set(signature, p);
      out[p] = keepPathParams(item, names, names);
      continue;
    }
    // Same template as an earlier path: its operations join that path, parameters renamed by position.
    const target = out[first]!;
    const renamed = keepPathParams(item, names, templateNames(first));
    for (const [method, op] of Object.entries(renamed)) {
      if (method in target) {
        throw new Error(`OpenAPI: ${method.toUpperCase()} ${original} and ${first} are one path`);
      }
      target[method] = op;
    }
  }
  (doc as Json).paths = out;
  return doc;
}

function templateNames(p: string): string[] {
  return [...p.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]!);
}

/** Path parameters the template has (renamed to `names` by position), others dropped. */
function keepPathParams(item: PathItem, from: string[], names: string[]): PathItem {
  const result: PathItem = {};
  for (const [method, op] of Object.entries(item)) {
    if (!METHODS.has(method) || !op.parameters) {
      result[method] = op;
      continue;
    }
    const parameters = op.parameters
      .filter((param) => param.in !== 'path' || from.includes(param.name))
      .map((param) =>
        param.in === 'path' ? { ...param, name: names[from.indexOf(param.name)]! } : param,
      );
    result[method] = { ...op, parameters };
  }
  return result;
}

function dropEmptyRequired(node: unknown): void {
  if (Array.isArray(node)) {
    for (const child of node) dropEmptyRequired(child);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const obj = node as Json;
  if (Array.isArray(obj.required) && obj.required.length === 0) delete obj.required;
  for (const value of Object.values(obj)) dropEmptyRequired(value);
}

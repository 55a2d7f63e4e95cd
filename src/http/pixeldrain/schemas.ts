/**
 * The pixeldrain dialect's JSON Schema vocabulary: the builders every route file (and the other
 * dialects) compose its `schema:` from. A documented contract for the OpenAPI document
 * (GET /api/openapi.json), never a validator or a serializer. Handlers read requests and render
 * replies themselves (pre-serialised JSON, field order as pixeldrain's, spec 1.4), and the server
 * compiles these schemas to no-ops (see src/http/openapi.ts). Shared objects are components
 * (components.ts), added once with addSchema and referenced by `$id` with ref(); property order
 * is the order the handlers emit. Each route's own schema sits in its route file.
 */

export type Schema = Record<string, unknown>;

export const str = (description: string, more: Schema = {}): Schema => ({
  type: 'string',
  description,
  ...more,
});
export const int = (description: string, more: Schema = {}): Schema => ({
  type: 'integer',
  description,
  ...more,
});
export const bool = (description: string, more: Schema = {}): Schema => ({
  type: 'boolean',
  description,
  ...more,
});
export const date = (description: string): Schema => ({
  type: 'string',
  format: 'date-time',
  description,
});
export const always = (value: boolean | string): Schema => ({ type: typeof value, enum: [value] });

/** An object whose properties are all present, in this order. */
export function object(properties: Record<string, Schema>, more: Schema = {}): Schema {
  return { type: 'object', properties, required: Object.keys(properties), ...more };
}

/** A reference to one of the components below. */
/** A reference to one of the components (components.ts). */
export const ref = (id: ComponentId): Schema => ({ $ref: `${id}#` });

export const FILE_ID = 'File id: 8 characters [A-Za-z0-9]';

export type ComponentId =
  | 'FileInfo'
  | 'UploadedFile'
  | 'ListFile'
  | 'ListInfo'
  | 'ListSummary'
  | 'ListBody'
  | 'UserInfo'
  | 'Session'
  | 'ErrorDetail'
  | 'Error'
  | 'Ok'
  | 'Created'
  | 'NewId'
  | 'NewFile';

/* ---- Pieces the route files compose their `schema:` from. ---- */

export const TAGS = {
  files: 'files',
  lists: 'lists',
  account: 'account',
  misc: 'misc',
  admin: 'admin',
  filesystem: 'filesystem',
} as const;

/** Path parameter `id` (or another name). */
export function idParam(description: string, name = 'id'): Schema {
  return object({ [name]: str(description) });
}

/** A JSON reply of this component (or inline schema). */
export function json(schema: ComponentId | Schema, description: string): Schema {
  return {
    description,
    content: {
      'application/json': { schema: typeof schema === 'string' ? ref(schema) : schema },
    },
  };
}

/** A reply whose body is not JSON. */
export function binary(contentType: string, description: string): Schema {
  return {
    description,
    content: { [contentType]: { schema: { type: 'string', format: 'binary' } } },
  };
}

/** A reply without a body. */
export function empty(description: string): Schema {
  return { description, type: 'null' };
}

/** Error replies: status → the `value`s this route answers with. */
export function errors(byStatus: Record<number, string>): Record<number, Schema> {
  return Object.fromEntries(
    Object.entries(byStatus).map(([status, values]) => [status, json('Error', values)]),
  );
}

/** A form body, urlencoded or multipart (spec 1.4: both are accepted everywhere). */
export function form(properties: Record<string, Schema>, required: string[] = []): Schema {
  const schema = { type: 'object', properties, required };
  return {
    content: {
      'application/x-www-form-urlencoded': { schema },
      'multipart/form-data': { schema },
    },
  };
}
/** Credentials: required (401 without), or optional (anonymous allowed). */
export const AUTH: Record<string, string[]>[] = [{ basicAuth: [] }, { cookieAuth: [] }];
export const AUTH_OPTIONAL: Record<string, string[]>[] = [{}, ...AUTH];

/** The errors any request with credentials may get. */
export const AUTH_ERRORS = {
  401: 'authentication_required (no key), authentication_failed (unknown, revoked or expired key)',
};

// The pixeldrain API as the pages use it: same origin, the HttpOnly cookie authenticates.

export interface ApiError {
  success: false;
  value: string;
  message: string;
  extra?: unknown;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly value: string,
    message: string,
    readonly extra?: unknown,
  ) {
    super(message);
  }
}

/** fetch /api{path}; JSON in and out; a non-2xx answer throws ApiFailure with the API's message. */
export async function api<T = Record<string, unknown>>(
  path: string,
  init: { method?: string; json?: unknown; form?: Record<string, string>; body?: BodyInit } = {},
): Promise<T> {
  const headers: Record<string, string> = {};
  let body: BodyInit | undefined = init.body;
  if (init.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(init.json);
  } else if (init.form) {
    body = new URLSearchParams(init.form);
  }
  const r = await fetch(`/api${path}`, {
    method: init.method ?? (body ? 'POST' : 'GET'),
    headers,
    body,
    credentials: 'same-origin',
  });
  const type = r.headers.get('content-type') ?? '';
  const data = type.includes('json') ? await r.json() : await r.text();
  if (!r.ok) {
    const e = (typeof data === 'object' ? data : {}) as Partial<ApiError>;
    throw new ApiFailure(r.status, e.value ?? 'error', e.message ?? `HTTP ${r.status}`, e.extra);
  }
  return data as T;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// Requests of the admin pages: /api/admin with the session cookie; writes are same-origin form
// posts (as the account pages send them). Failures keep the API's words.
import { api } from '../api';
import { describe, FormFailure, sendForm } from '../account/request';

export function adminGet<T>(path: string): Promise<T> {
  return api<T>(`/admin${path}`);
}

export function adminPost<T = Record<string, unknown>>(
  path: string,
  fields: Record<string, string>,
): Promise<T> {
  return sendForm<T>(`/admin${path}`, fields);
}

/** The API's error message (each field's, for `multiple_errors`). */
export function failureText(err: unknown): string {
  if (err instanceof FormFailure && err.errors.length > 0) {
    return err.errors
      .map((e) => (e.extra?.field ? `${e.extra.field}: ${describe(e)}` : describe(e)))
      .join('; ');
  }
  return err instanceof Error ? err.message : String(err);
}

/** A query string of the non-empty values. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Replace this page's query (keeps the tab's path), for links that come back to the same view. */
export function setQuery(params: Record<string, string | undefined>): void {
  history.replaceState(null, '', location.pathname + query(params));
}

export function readQuery(name: string): string {
  return new URLSearchParams(location.search).get(name) ?? '';
}

// Form posts of the account pages: like api(), but keeping the per-field errors of pixeldrain's
// `multiple_errors` answers (spec 1.5), so a form can show each next to its input.
import { ApiFailure } from '../api';

export interface FieldError {
  value: string;
  message: string;
  extra?: { field?: string; min_len?: number; max_len?: number; char?: string };
}

export class FormFailure extends ApiFailure {
  constructor(
    status: number,
    value: string,
    message: string,
    readonly errors: FieldError[],
  ) {
    super(status, value, message);
  }
}

/** POST/PUT a urlencoded form to /api{path}; a non-2xx answer throws FormFailure. */
export async function sendForm<T = Record<string, unknown>>(
  path: string,
  fields: Record<string, string>,
  method = 'POST',
): Promise<T> {
  const r = await fetch(`/api${path}`, {
    method,
    body: new URLSearchParams(fields),
    credentials: 'same-origin',
  });
  const type = r.headers.get('content-type') ?? '';
  const data = (type.includes('json') ? await r.json() : {}) as Record<string, unknown>;
  if (!r.ok) {
    throw new FormFailure(
      r.status,
      typeof data.value === 'string' ? data.value : 'error',
      typeof data.message === 'string' ? data.message : `HTTP ${r.status}`,
      Array.isArray(data.errors) ? (data.errors as FieldError[]) : [],
    );
  }
  return data as T;
}

/** One API error in words for a form field ("At least 8 characters"). */
export function describe(e: FieldError): string {
  const x = e.extra ?? {};
  switch (e.value) {
    case 'missing_field':
      return 'Required';
    case 'string_out_of_range':
      if (x.min_len !== undefined && x.max_len !== undefined) {
        return `Must be ${x.min_len} to ${x.max_len} characters long`;
      }
      return 'Too short or too long';
    case 'field_contains_illegal_character':
      return x.char
        ? `The character “${x.char}” is not allowed (use A-Z, a-z, 0-9, _ . -)`
        : 'Contains a character that is not allowed';
    case 'invalid_email_address':
      return 'Not a valid e-mail address';
    default:
      return e.message;
  }
}

/** Errors keyed by field name; what names no field goes under ''. */
export function errorsByField(err: unknown, aliases: Record<string, string> = {}) {
  const out: Record<string, string> = {};
  const add = (field: string, text: string) => {
    const f = aliases[field] ?? field;
    out[f] = out[f] ? `${out[f]}; ${text}` : text;
  };
  if (err instanceof FormFailure && err.errors.length > 0) {
    for (const e of err.errors) add(e.extra?.field ?? '', describe(e));
  } else if (err instanceof FormFailure && err.value === 'username_already_registered') {
    add('username', 'This username is already taken');
  } else if (err instanceof FormFailure && err.value === 'invite_invalid') {
    add('invite', 'This invite code is not valid, was used already or has expired');
  } else if (err instanceof FormFailure && err.value === 'email_address_already_registered') {
    add('email', 'This e-mail address is already registered');
  } else if (err instanceof Error) {
    add('', err.message);
  } else {
    add('', String(err));
  }
  return out;
}

/** A path of this site to go to after logging in: one leading '/', never '//' or '/\'. */
export function localPath(value: string): string {
  return /^\/(?![/\\])/.test(value) ? value : '/';
}

import type { ValidationIssue } from './errors.js';

/** Field checks shared by the services; each returns the issue it finds, or null. */

export function checkLength(
  field: string,
  value: string,
  min: number,
  max: number,
): ValidationIssue | null {
  const len = [...value].length;
  if (len === 0 && min > 0) return { field, problem: 'missing' };
  if (len < min || len > max) return { field, problem: 'out_of_range', min, max, len };
  return null;
}

/** The first character outside `allowed`, with its (0-based, code point) position. */
export function checkCharacters(
  field: string,
  value: string,
  allowed: RegExp,
): ValidationIssue | null {
  const chars = [...value];
  const position = chars.findIndex((c) => !allowed.test(c));
  if (position < 0) return null;
  return { field, problem: 'illegal_character', char: chars[position]!, position };
}

/** Deliberately simple: one @, something on each side, a dot in the domain, no spaces. */
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]+$/;

export function checkEmail(field: string, value: string): ValidationIssue | null {
  if (value.length > 254 || !EMAIL.test(value)) return { field, problem: 'invalid_email' };
  return null;
}

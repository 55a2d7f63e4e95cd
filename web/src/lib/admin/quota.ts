// The limits form's sizes: people type "10 GB", "500 MiB", "unlimited" or bytes; the admin API
// takes integer bytes, '' for the instance default and -1 for unlimited. No imports: the unit
// tests load this file directly.

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  pb: 1e15,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  pib: 2 ** 50,
};

/**
 * A size as the API wants it: '' (instance default), '-1' (unlimited) or whole bytes; null when
 * the text is not a size.
 */
export function parseSize(text: string): string | null {
  const t = text.trim().toLowerCase().replace(/,/g, '');
  if (t === '' || t === 'default') return '';
  if (t === '-1' || t === 'unlimited' || t === 'none') return '-1';
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?i?b)?$/.exec(t);
  if (!m) return null;
  const unit = m[2] ?? 'b';
  const factor = UNITS[unit];
  if (factor === undefined) return null;
  const bytes = Math.round(Number(m[1]) * factor);
  return Number.isSafeInteger(bytes) ? String(bytes) : null;
}

/** A count (files): '' (default), '-1' (unlimited) or a whole number; null otherwise. */
export function parseCount(text: string): string | null {
  const t = text.trim().toLowerCase();
  if (t === '' || t === 'default') return '';
  if (t === '-1' || t === 'unlimited' || t === 'none') return '-1';
  return /^\d+$/.test(t) && Number.isSafeInteger(Number(t)) ? String(Number(t)) : null;
}

/** A limit's value for the form's input: '' for the default, 'unlimited' for -1. */
export function limitText(value: number | null, size: boolean): string {
  if (value === null) return '';
  if (value < 0) return 'unlimited';
  if (!size) return String(value);
  for (const [unit, factor] of [
    ['TB', 1e12],
    ['GB', 1e9],
    ['MB', 1e6],
    ['kB', 1e3],
  ] as const) {
    if (value >= factor && value % factor === 0) return `${value / factor} ${unit}`;
  }
  return String(value);
}

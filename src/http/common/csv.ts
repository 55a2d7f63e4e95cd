/**
 * RFC 4180 CSV: every field quoted when it needs to be, CRLF line ends. Cells that a spreadsheet
 * would run as a formula (=, +, -, @, tab, CR at the start) get a leading apostrophe: these files
 * are exports of user-chosen names, opened in spreadsheets.
 */
export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

function cell(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Constraint violations, recognised for both drivers (better-sqlite3 and pg), so repositories can
 * turn them into domain errors.
 */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string } | null;
  return (
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    e?.code === '23505'
  );
}

export function isForeignKeyViolation(err: unknown): boolean {
  const e = err as { code?: string } | null;
  return e?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || e?.code === '23503';
}

/** The text a violation carries (SQLite names the column, PostgreSQL the constraint and detail). */
export function violationText(err: unknown): string {
  const e = err as { message?: string; detail?: string; constraint?: string } | null;
  return `${e?.message ?? ''} ${e?.detail ?? ''} ${e?.constraint ?? ''}`;
}

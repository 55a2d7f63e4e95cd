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

/**
 * PostgreSQL aborted the transaction to break a deadlock (40P01) or a serialization conflict
 * (40001): nothing of it was written, and running it again is the remedy.
 */
export function isRetryableConflict(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === '40P01' || code === '40001';
}

/** Run a whole transaction again when PostgreSQL aborted it for a conflict (a few tries). */
export async function retryConflicts<T>(run: () => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await run();
    } catch (err) {
      if (i >= attempts || !isRetryableConflict(err)) throw err;
      // A short, random pause: the two sides of a deadlock should not meet again at once.
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * i));
    }
  }
}

import { describe, expect, it } from 'vitest';
import { isRetryableConflict, retryConflicts } from './db-errors.js';

const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });

describe('retryConflicts: transactions PostgreSQL aborted to break a deadlock run again', () => {
  it('recognises deadlocks and serialization failures, nothing else', () => {
    expect(isRetryableConflict(pgError('40P01'))).toBe(true);
    expect(isRetryableConflict(pgError('40001'))).toBe(true);
    expect(isRetryableConflict(pgError('23505'))).toBe(false);
    expect(isRetryableConflict(new Error('connection lost'))).toBe(false);
    expect(isRetryableConflict(null)).toBe(false);
  });

  it('runs again after a deadlock and answers what the run that went through returned', async () => {
    let runs = 0;
    const v = await retryConflicts(async () => {
      runs++;
      if (runs < 3) throw pgError('40P01');
      return 'written';
    });
    expect(v).toBe('written');
    expect(runs).toBe(3);
  });

  it('other errors are not retried', async () => {
    let runs = 0;
    await expect(
      retryConflicts(async () => {
        runs++;
        throw pgError('23505');
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(runs).toBe(1);
  });

  it('gives up after the last attempt with the conflict itself', async () => {
    let runs = 0;
    await expect(
      retryConflicts(async () => {
        runs++;
        throw pgError('40001');
      }, 3),
    ).rejects.toMatchObject({ code: '40001' });
    expect(runs).toBe(3);
  });
});

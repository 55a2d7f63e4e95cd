import v8 from 'node:v8';
import vm from 'node:vm';

/** V8's `gc()`: a full collection, or a young-generation one with `{ type: 'minor' }`. */
export type GcFunction = (options?: { type?: 'major' | 'minor' }) => void;

let exposed: GcFunction | null | undefined;

/**
 * The `gc()` function V8 offers with --expose-gc, made available at run time (once per process;
 * null where V8 refuses).
 */
export function exposeGc(): GcFunction | null {
  if (exposed !== undefined) return exposed;
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === 'function') return (exposed = existing as GcFunction);
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    exposed = typeof gc === 'function' ? (gc as GcFunction) : null;
  } catch {
    exposed = null;
  }
  return exposed;
}

import { createRequire } from 'node:module';

/** Gives the C heap's free pages back to the system; true when some were given back. */
export type NativeHeapTrim = () => boolean;

let loaded: NativeHeapTrim | null | undefined;

/**
 * glibc's `malloc_trim(0)`, called through koffi (a foreign-function library that ships its
 * binaries prebuilt), loaded on first use; null where there is no glibc (macOS, Alpine's musl,
 * Windows) or the library cannot load.
 *
 * Why: Node's socket reads and request bodies come from malloc in pieces below its mmap threshold,
 * so once freed they stay in glibc's heap as free chunks between live ones, and glibc's `free()`
 * only returns the heap's top. After a 3-minute soak that was ~70 MiB of RSS no object used, a
 * minute later and for good (bench/README.md, "Soak"). `malloc_trim(0)` walks every arena and
 * releases the free pages inside it too (`madvise(MADV_DONTNEED)`): the idle collector calls it
 * once the load is over (src/main/idle-gc.ts). Loading koffi costs ~6 MiB of RSS, hence only on
 * the first trim.
 */
export function nativeHeapTrim(): NativeHeapTrim | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (process.platform !== 'linux') return loaded;
  try {
    const require = createRequire(import.meta.url);
    const koffi = require('koffi') as typeof import('koffi');
    const libc = koffi.load('libc.so.6');
    const mallocTrim = libc.func('int malloc_trim(size_t pad)') as (pad: number) => number;
    loaded = () => {
      try {
        return mallocTrim(0) === 1;
      } catch {
        return false; // never seen; the idle collector's timer must not throw
      }
    };
  } catch {
    // No glibc (musl has no libc.so.6 nor malloc_trim), or no prebuilt binary for this CPU:
    // memory stays as the allocator keeps it.
  }
  return loaded;
}

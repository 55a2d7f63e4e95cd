import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { SharedState } from '../../core/shared-state.js';

type Callback = (err: Error | null, res?: { current: number; ttl: number }) => void;

/**
 * A store for @fastify/rate-limit over SharedState, so limits hold across nodes when the state is
 * Redis. Each route gets its own key space.
 */
export function rateLimitStore(state: SharedState): FastifyRateLimitStoreCtor {
  class SharedRateLimitStore implements FastifyRateLimitStore {
    private readonly scope: string;

    /** @fastify/rate-limit constructs the root store with its options; children get a scope. */
    constructor(scope?: unknown) {
      this.scope = typeof scope === 'string' ? scope : 'rl:global:';
    }

    incr(key: string, cb: Callback, timeWindow: number): void {
      state.increment(this.scope + key, timeWindow).then(
        ({ count, resetMs }) => cb(null, { current: count, ttl: resetMs }),
        (err: Error) => cb(err),
      );
    }

    child(routeOptions: {
      method?: string | string[];
      url?: string;
      routeInfo?: { method?: string | string[]; url?: string };
    }): FastifyRateLimitStore {
      const r = routeOptions.routeInfo ?? routeOptions;
      const method = Array.isArray(r.method) ? r.method.join(',') : (r.method ?? '');
      return new SharedRateLimitStore(`rl:${method}:${r.url ?? ''}:`);
    }
  }
  return SharedRateLimitStore as unknown as FastifyRateLimitStoreCtor;
}

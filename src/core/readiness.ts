/** What `GET /api/health/ready` reports: each backend this process needs, probed cheaply. */
export type Dependency = 'database' | 'blob_store' | 'redis' | 'clamav';

export type Probe = () => Promise<unknown>;

export interface ReadinessReport {
  ready: boolean;
  /** Each configured dependency: reachable or not (never versions or addresses). */
  checks: Partial<Record<Dependency, 'ok' | 'down'>>;
}

/**
 * Probes the backends at once (SELECT 1, a blob store stat or HeadBucket, Redis PING), each within
 * a short timeout: a backend that does not answer in time counts as down.
 */
export class Readiness {
  constructor(
    private readonly probes: Partial<Record<Dependency, Probe>>,
    private readonly timeoutMs = 2000,
    /** Reported but not needed to be ready (clamav: uploads work without it, scans wait). */
    private readonly optional: readonly Dependency[] = [],
  ) {}

  private inFlight: Promise<ReadinessReport> | null = null;

  /** Concurrent callers share one round of probes (a flood of checks is one set of round trips). */
  check(): Promise<ReadinessReport> {
    this.inFlight ??= this.probe().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  private async probe(): Promise<ReadinessReport> {
    const entries = Object.entries(this.probes) as [Dependency, Probe][];
    const results = await Promise.all(entries.map(([, probe]) => this.within(probe)));
    const checks: ReadinessReport['checks'] = {};
    entries.forEach(([name], i) => (checks[name] = results[i] ? 'ok' : 'down'));
    const ready = entries.every(([name], i) => results[i] || this.optional.includes(name));
    return { ready, checks };
  }

  private within(probe: Probe): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), this.timeoutMs);
      timer.unref();
      probe().then(
        () => {
          clearTimeout(timer);
          resolve(true);
        },
        () => {
          clearTimeout(timer);
          resolve(false);
        },
      );
    });
  }
}

import type { FsRepository, NodeTraffic } from './types.js';

/**
 * Downloads and bytes sent of file nodes (`?download_stats`): counted in memory on the download
 * path, added to the nodes' rows every few seconds in one transaction (additive, so every process
 * of a cluster writes its own share). What is not written yet is counted in answers.
 */
export class NodeTrafficCounter {
  private pending = new Map<string, NodeTraffic>();
  private readonly timer: NodeJS.Timeout | null;

  constructor(
    private readonly repo: Pick<FsRepository, 'addTraffic'>,
    intervalMs = 5000,
  ) {
    this.timer =
      intervalMs > 0 ? setInterval(() => void this.flush().catch(() => {}), intervalMs) : null;
    this.timer?.unref();
  }

  count(nodeId: string, delta: NodeTraffic): void {
    const p = this.pending.get(nodeId);
    if (p) {
      p.downloads += delta.downloads;
      p.bytes += delta.bytes;
    } else this.pending.set(nodeId, { ...delta });
  }

  /** Counted here and not written yet, for these nodes. */
  pendingOf(ids: readonly string[]): NodeTraffic {
    const out = { downloads: 0, bytes: 0 };
    for (const id of ids) {
      const p = this.pending.get(id);
      if (p) {
        out.downloads += p.downloads;
        out.bytes += p.bytes;
      }
    }
    return out;
  }

  /** Write what was counted; on failure it is kept for the next try. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.repo.addTraffic(batch);
    } catch (err) {
      for (const [id, d] of batch) this.count(id, d);
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush().catch(() => {});
  }
}

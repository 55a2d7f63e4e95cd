// The viewer's live counters over pixeldrain's websocket (spec 2.9, GET /api/file_stats).
// Subscribing is also how a view is counted (once per visitor and file a day, on the server).
// The server's pushes do not name the file, so each watched file has its own socket.

export interface FileStats {
  views: number;
  downloads: number;
  bandwidth: number;
  bandwidth_paid: number;
}

export interface WatchOptions {
  /** First reconnect delay in ms (doubles up to maxDelay; reset once a push arrives). */
  minDelay?: number;
  maxDelay?: number;
}

/** The websocket URL of a path on this origin. */
export function socketUrl(path: string): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${path}`;
}

function isStats(v: unknown): v is FileStats {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return ['views', 'downloads', 'bandwidth', 'bandwidth_paid'].every(
    (k) => typeof o[k] === 'number',
  );
}

/**
 * Watch a file's counters: `onStats` runs at once (after connecting) and on every change. The
 * socket reconnects with backoff when it closes (server restart, network change). Returns the
 * function that stops watching.
 */
export function watchFileStats(
  fileId: string,
  onStats: (stats: FileStats) => void,
  opts: WatchOptions = {},
): () => void {
  const minDelay = opts.minDelay ?? 2000;
  const maxDelay = opts.maxDelay ?? 60_000;
  let delay = minDelay;
  let ws: WebSocket | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;

  const connect = () => {
    timer = null;
    if (stopped) return;
    try {
      ws = new WebSocket(socketUrl('/api/file_stats'));
    } catch {
      retry();
      return;
    }
    const socket = ws;
    socket.onopen = () => {
      socket.send(JSON.stringify({ type: 'file_stats', data: { file_id: fileId } }));
    };
    socket.onmessage = (e: MessageEvent) => {
      let msg: unknown;
      try {
        msg = JSON.parse(String(e.data));
      } catch {
        return;
      }
      const m = msg as { type?: unknown; file_stats?: unknown; value?: unknown };
      if (m.type === 'file_stats' && isStats(m.file_stats)) {
        delay = minDelay;
        onStats(m.file_stats);
      } else if (m.type === 'error' && m.value === 'not_found') {
        // The file is gone: nothing to watch any more.
        stop();
      }
    };
    // An error is followed by close: reconnecting happens there.
    socket.onerror = () => {};
    socket.onclose = () => {
      if (ws === socket) ws = null;
      retry();
    };
  };

  const retry = () => {
    if (stopped || timer) return;
    // Jitter, so a restarted server is not met by every viewer at the same instant.
    const wait = delay * (0.75 + Math.random() * 0.5);
    delay = Math.min(maxDelay, delay * 2);
    timer = setTimeout(connect, wait);
  };

  const stop = () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    timer = null;
    const socket = ws;
    ws = null;
    if (socket) {
      socket.onclose = null;
      socket.onmessage = null;
      socket.close();
    }
  };

  connect();
  return stop;
}

// Concurrent big transfers (issue 18): N uploads of `size` bytes at once, or N downloads of N
// files at once, through the servers' own putBig/getPath (servers.mjs). Each upload's body starts
// at its own offset of the input file and wraps around: the same bytes from the page cache, but
// N distinct contents (Stowage deduplicates identical ones). The figure is the aggregate MB/s
// over the wall time of the whole batch (first request sent to last response received).

import { performance } from 'node:perf_hooks';
import { rawGet } from './clients.mjs';
import { round2, syncDisks } from './util.mjs';

/** Upload n rotated copies of `file` at once, then delete them; aggregate MB/s. */
export async function putConcurrent(server, file, size, n, tag) {
  const t0 = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: n }, (_, i) =>
      server.putBig(file, size, `${tag}-${i}`, Math.floor((i * size) / n)),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  await removeAll(server, results);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return {
    mbps: Math.round((n * size) / seconds / 1e6),
    seconds: round2(seconds),
    eachSeconds: results.map((r) => round2(r.value.seconds)),
  };
}

/**
 * Upload n rotated copies (untimed, then `sync`), download all n at once with the raw-socket
 * client, check every status and byte count, delete them; aggregate MB/s of the downloads.
 */
export async function getConcurrent(server, file, size, n, tag) {
  const ups = await Promise.allSettled(
    Array.from({ length: n }, (_, i) =>
      server.putBig(file, size, `${tag}-get-${i}`, Math.floor((i * size) / n)),
    ),
  );
  try {
    const failed = ups.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    syncDisks();
    const t0 = performance.now();
    const gets = await Promise.all(
      ups.map((u) => rawGet(server.port, server.getPath(u.value.handle))),
    );
    const seconds = (performance.now() - t0) / 1000;
    gets.forEach((g, i) => {
      if (g.status !== 200) throw new Error(`GET ${i + 1}/${n}: HTTP ${g.status}`);
      if (g.bytes !== size) {
        throw new Error(`GET ${i + 1}/${n}: received ${g.bytes} bytes, expected ${size}`);
      }
    });
    return {
      mbps: Math.round((n * size) / seconds / 1e6),
      seconds: round2(seconds),
      eachSeconds: gets.map((g) => round2(g.seconds)),
    };
  } finally {
    await removeAll(server, ups);
  }
}

async function removeAll(server, settled) {
  const handles = settled.filter((r) => r.status === 'fulfilled').map((r) => r.value.handle);
  await Promise.all(handles.map((h) => server.remove(h)));
}

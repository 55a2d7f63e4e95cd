// s3rver (with the multipart calls of s3rver-multipart.mjs) in a worker thread of the bench: the
// S3 server gets its own event loop, as a real S3 is elsewhere, instead of sharing the bench's
// main thread with the clients that measure Stowage (the big PUT's and GET's sockets, wrk's
// bookkeeping) or with the direct-S3 ceiling's client (ceiling.mjs).

import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

/** Starts s3rver on 127.0.0.1 (a free port) storing in `dir`; resolves { port, close() }. */
export function startS3rverThread(dir) {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { s3rverDir: dir } });
    const exited = new Promise((done) => w.once('exit', done));
    w.once('error', reject);
    w.once('message', (m) => {
      if (m.error) return reject(new Error(`s3rver: ${m.error}`));
      resolve({
        port: m.port,
        async close() {
          w.postMessage('close');
          const timer = setTimeout(() => w.terminate(), 5000);
          await exited;
          clearTimeout(timer);
        },
      });
    });
  });
}

async function serve(dir) {
  const { default: S3rver } = await import('s3rver');
  const { extendS3rver } = await import('./s3rver-multipart.mjs');
  const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir });
  // ListParts, AbortMultipartUpload, UploadPartCopy: tus uploads on S3 need them.
  extendS3rver(s3, dir);
  const { port } = await s3.run();
  parentPort.on('message', async (m) => {
    if (m !== 'close') return;
    await s3.close().catch(() => {});
    parentPort.close();
  });
  parentPort.postMessage({ port });
}

if (!isMainThread && workerData?.s3rverDir) {
  serve(workerData.s3rverDir).catch((err) =>
    parentPort.postMessage({ error: err.stack || err.message }),
  );
}

// A big upload through tus (issue 17) with the real client, tus-js-client, from this process:
// default chunking (chunkSize Infinity: one PATCH streaming the whole file) or fixed chunks.
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as tus from 'tus-js-client';

/**
 * Upload `file` (size bytes) to /api/tus anonymously; resolves with the seconds taken (creation,
 * PATCHes and the publication the last one waits for) and the file's id and delete key.
 */
export function tusUpload(port, file, size, chunkSize) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let id = null;
    let deleteKey = null;
    const upload = new tus.Upload(fs.createReadStream(file), {
      endpoint: `http://127.0.0.1:${port}/api/tus`,
      uploadSize: size,
      metadata: { filename: 'big.bin', filetype: 'application/octet-stream' },
      ...(chunkSize ? { chunkSize } : {}),
      retryDelays: null,
      onAfterResponse: (_req, res) => {
        id = res.getHeader('Stowage-File-Id') ?? id;
        deleteKey = res.getHeader('Stowage-Delete-Key') ?? deleteKey;
      },
      onSuccess: () => {
        if (!id || !deleteKey) reject(new Error('tus: no Stowage-File-Id / Stowage-Delete-Key'));
        else resolve({ seconds: (performance.now() - started) / 1000, handle: { id, deleteKey } });
      },
      onError: reject,
    });
    upload.start();
  });
}

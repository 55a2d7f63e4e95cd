import { describe, expect, it } from 'vitest';
import { spawnedServerForSuite } from './helpers.js';
import { portOf, rawUpload, type RawResult } from './raw-http.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

// A spawned server: the client and the server must not share an event loop, or the client always
// reads before the server's close is processed and the race below never shows.
describe('a refused upload whose client keeps sending', () => {
  const spawned = spawnedServerForSuite({ STOWAGE_MAX_FILE_SIZE: '1MiB' });

  it('always reads its 413 before the connection is closed (declared and streamed bodies)', async () => {
    const port = portOf(spawned().srv.url);
    const lost: RawResult[] = [];
    let answered = 0;
    for (let round = 0; round < 6; round++) {
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          // Every body is written until the connection ends, whatever the server answers (as curl
          // does): no stopOnResponse.
          rawUpload(port, {
            head:
              i % 2
                ? `PUT /api/file/a HTTP/1.1\r\nHost: x\r\nContent-Length: ${GiB}`
                : 'PUT /api/file/b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked',
            bodyBytes: GiB,
            chunked: i % 2 === 0,
            timeoutMs: 15_000,
          }),
        ),
      );
      for (const r of results) {
        // Closed (or reset once the answer is read): never left waiting, never drained to the end.
        expect(r.ended).not.toBe('timeout');
        expect(r.written).toBeLessThan(64 * MiB);
        if (/^HTTP\/1\.1 413 [^\r]*\r\n[\s\S]*"file_too_large"/.test(r.response)) answered++;
        else lost.push(r);
      }
    }
    // Before the close lingered, about one in six lost its answer to the reset on a loaded machine.
    expect(lost.map((r) => `${r.ended}: ${JSON.stringify(r.response.slice(0, 30))}`)).toEqual([]);
    expect(answered).toBe(96);
  });

  it('reads no more of the body while the close lingers, even from a client that ignores it', async () => {
    const port = portOf(spawned().srv.url);
    // Declared lengths over the limit are refused before any of the body is read; once the
    // answer is out, Node would read and drop the rest as fast as it comes for the whole
    // linger (~250 MB on loopback; once 261 MB reached a client of the test above on a loaded
    // machine). Only the sockets' buffers may fill now.
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        rawUpload(port, {
          head: `PUT /api/file/a HTTP/1.1\r\nHost: x\r\nContent-Length: ${GiB}`,
          bodyBytes: GiB,
          ignoreServerEnd: true,
          timeoutMs: 15_000,
        }),
      ),
    );
    for (const r of results) {
      expect(r.ended).not.toBe('timeout');
      expect(r.response).toMatch(/^HTTP\/1\.1 413 [^\r]*\r\n[\s\S]*"file_too_large"/);
      expect(r.written).toBeLessThan(16 * MiB);
    }
  });
});

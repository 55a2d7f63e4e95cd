import type { Fixtures } from './pieces.js';
import type { Rng } from './rng.js';
import type { FuzzRequest } from './transport.js';

// ---------------------------------------------------------------------------------------------
// raw HTTP: garbage request lines, odd versions, huge headers, half-closes mid-request

export function genRaw(rng: Rng, fx: Fixtures): FuzzRequest {
  const id = fx.fileIds[0]!;
  const raw = (text: string, complete: boolean, note: string): FuzzRequest => ({
    category: 'raw',
    head: Buffer.from(text, 'latin1'),
    body: Buffer.alloc(0),
    complete,
    halfClose: !complete || rng.chance(0.5),
    note,
  });
  const k = rng.int(0, 17);
  switch (k) {
    case 0:
      return raw(rng.bytes(rng.int(1, 3000)).toString('latin1'), false, 'random bytes');
    case 1:
      return raw(`GET /api/file/${id}\r\n\r\n`, false, 'HTTP/0.9 style');
    case 2:
      return raw(`GET /api/file/${id} HTTP/9.9\r\nHost: x\r\n\r\n`, false, 'bad version');
    case 3:
      return raw(`GE\u0000T / HTTP/1.1\r\n\r\n`, false, 'NUL in method');
    case 4:
      return raw(
        `GET /api/health HTTP/1.1\r\nHost: x\r\nX: ${'a'.repeat(rng.int(10_000, 100_000))}\r\n\r\n`,
        true,
        'huge header',
      );
    case 5:
      return raw(
        `GET /api/health HTTP/1.1\r\n${Array.from({ length: rng.int(100, 3000) }, (_, i) => `X-${i}: v`).join('\r\n')}\r\n\r\n`,
        true,
        'many headers',
      );
    case 6:
      return raw(
        `GET /api/file/${id} HTTP/1.1\r\nHost: x\r\n`,
        false,
        'half-close before the blank line',
      );
    case 7:
      return raw(
        `GET /api/file/${id} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\nGET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        true,
        'pipelined',
      );
    case 8:
      return raw(
        `GET http://evil.example/api/file/${id} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        true,
        'absolute URI',
      );
    case 9:
      return raw(
        `GET /${'../'.repeat(rng.int(1, 30))}etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        true,
        'dot segments',
      );
    case 10:
      return raw(
        `${rng.pick(['BREW', 'PROPFIND', 'TRACE', 'CONNECT', 'M-SEARCH', 'PURGE'])} /api/file/${id} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        true,
        'odd method',
      );
    case 11:
      return raw(
        `GET /api/file/${id} HTTP/1.1\r\nHost x\r\nBad Header\r\n\r\n`,
        false,
        'header without colon',
      );
    case 12:
      return raw(`GET /api/file/${id} HTTP/1.1\nHost: x\nConnection: close\n\n`, true, 'bare LF');
    case 13:
      return raw(
        `GET /api/file/${id}?${'q=%'.repeat(rng.int(1, 5000))} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        true,
        'query of bad escapes',
      );
    case 14:
      return raw(
        `GET /api/file/${'%FF%FE'.repeat(rng.int(1, 200))} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        true,
        'bad UTF-8 in path',
      );
    case 15:
      return raw(
        `GET /u/${Array.from({ length: rng.int(1, 2000) }, () => id).join(',')} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        true,
        'many ids in the viewer',
      );
    case 16:
      return raw(
        `POST /api/file HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 1000\r\n\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nxx`,
        false,
        'half-close mid-upload',
      );
    default:
      return raw(
        `GET /api/health HTTP/1.1\r\nHost: \u00ff\u0000\r\nConnection: close\r\n\r\n`,
        false,
        'NUL in Host',
      );
  }
}

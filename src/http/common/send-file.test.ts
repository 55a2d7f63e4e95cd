import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { FileRecord } from '../../core/records.js';
import { parseRange, sendFile } from './send-file.js';

describe('parseRange', () => {
  it('no header or an empty header means the full body', () => {
    expect(parseRange(undefined, 12)).toEqual({ kind: 'full' });
    expect(parseRange('', 12)).toEqual({ kind: 'full' });
  });

  it('a closed range', () => {
    expect(parseRange('bytes=0-3', 12)).toEqual({ kind: 'partial', range: { start: 0, end: 3 } });
    expect(parseRange('bytes=4-4', 12)).toEqual({ kind: 'partial', range: { start: 4, end: 4 } });
    expect(parseRange('bytes=0-11', 12)).toEqual({ kind: 'partial', range: { start: 0, end: 11 } });
  });

  it('an open range runs to the last byte', () => {
    expect(parseRange('bytes=5-', 12)).toEqual({ kind: 'partial', range: { start: 5, end: 11 } });
    expect(parseRange('bytes=11-', 12)).toEqual({ kind: 'partial', range: { start: 11, end: 11 } });
    expect(parseRange('bytes=0-', 12)).toEqual({ kind: 'partial', range: { start: 0, end: 11 } });
  });

  it('a suffix range is the last N bytes, clamped to the whole body', () => {
    expect(parseRange('bytes=-4', 12)).toEqual({ kind: 'partial', range: { start: 8, end: 11 } });
    expect(parseRange('bytes=-12', 12)).toEqual({ kind: 'partial', range: { start: 0, end: 11 } });
    expect(parseRange('bytes=-100', 12)).toEqual({ kind: 'partial', range: { start: 0, end: 11 } });
  });

  it('an end beyond the size is clamped', () => {
    expect(parseRange('bytes=2-100', 12)).toEqual({
      kind: 'partial',
      range: { start: 2, end: 11 },
    });
    expect(parseRange('bytes=0-99999999999999999999', 12)).toEqual({
      kind: 'partial',
      range: { start: 0, end: 11 },
    });
  });

  it('a start at or past the end is unsatisfiable', () => {
    expect(parseRange('bytes=12-', 12)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=100-', 12)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=12-20', 12)).toEqual({ kind: 'unsatisfiable' });
  });

  it('a zero-length suffix is unsatisfiable', () => {
    expect(parseRange('bytes=-0', 12)).toEqual({ kind: 'unsatisfiable' });
  });

  it('any range of an empty body is unsatisfiable', () => {
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=0-0', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-5', 0)).toEqual({ kind: 'unsatisfiable' });
  });

  it('a huge start never yields a partial response', () => {
    expect(parseRange('bytes=99999999999999999999-', 12).kind).not.toBe('partial');
    const huge = parseRange('bytes=-99999999999999999999', 12);
    // The whole body either way: as a full response or as a range covering everything.
    if (huge.kind === 'partial') expect(huge.range).toEqual({ start: 0, end: 11 });
    else expect(huge.kind).toBe('full');
  });

  it('last < first is invalid and ignored', () => {
    expect(parseRange('bytes=5-3', 12)).toEqual({ kind: 'full' });
  });

  it('multiple ranges are answered with the full body', () => {
    expect(parseRange('bytes=0-1,3-4', 12)).toEqual({ kind: 'full' });
    expect(parseRange('bytes=0-1, 5-', 12)).toEqual({ kind: 'full' });
  });

  it('malformed headers and other units are ignored', () => {
    for (const h of [
      'bytes=',
      'bytes=-',
      'bytes',
      'bytes=a-b',
      'bytes=1.5-3',
      'bytes=--1',
      'items=0-3',
      '0-3',
      'bytes=0x10-',
    ]) {
      expect(parseRange(h, 12), h).toEqual({ kind: 'full' });
    }
  });

  it('the unit is case-insensitive and whitespace around tokens is tolerated', () => {
    expect(parseRange('Bytes=0-3', 12)).toEqual({ kind: 'partial', range: { start: 0, end: 3 } });
    expect(parseRange(' bytes = 1 - 2 ', 12)).toEqual({
      kind: 'partial',
      range: { start: 1, end: 2 },
    });
  });

  it('works for sizes beyond 32 bits', () => {
    const size = 10 * 1024 ** 3;
    expect(parseRange('bytes=-1', size)).toEqual({
      kind: 'partial',
      range: { start: size - 1, end: size - 1 },
    });
    expect(parseRange(`bytes=${2 ** 33}-`, size)).toEqual({
      kind: 'partial',
      range: { start: 2 ** 33, end: size - 1 },
    });
  });
});

/** A response whose writes complete only when the test says so (a socket that is slow to take). */
class HeldResponse extends EventEmitter {
  status = 0;
  held: { chunk: Buffer; done: () => void }[] = [];
  out: Buffer[] = [];
  ended = false;
  destroyed = false;
  writeHead(status: number) {
    this.status = status;
    return this;
  }
  write(chunk: Buffer, done: () => void) {
    // Copied now: the sender may reuse its buffer once `done` has run, not before.
    this.held.push({ chunk: Buffer.from(chunk), done });
    return false; // always full, as a 1 MiB write leaves a socket
  }
  /** Let the oldest held write complete. */
  release() {
    const w = this.held.shift()!;
    this.out.push(w.chunk);
    w.done();
  }
  end() {
    this.ended = true;
  }
  destroy() {
    this.destroyed = true;
  }
}

const settle = () => new Promise((r) => setTimeout(r, 5));

function copyFixture(size: number) {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >> 11)) & 0xff;
  const reads: number[] = [];
  const reader = {
    read: async (into: Buffer, position: number) => {
      reads.push(position);
      return bytes.copy(into, 0, position, Math.min(size, position + into.length));
    },
    close: async () => {},
  };
  const file = {
    id: 'f',
    name: 'big.bin',
    size,
    mimeType: 'application/octet-stream',
    blobKey: 'k',
    createdAt: 0,
  } as FileRecord;
  const req = { method: 'GET', headers: {} } as IncomingMessage;
  const sent: [number, boolean][] = [];
  const opts = {
    disposition: 'inline' as const,
    readBytes: () => Promise.reject(new Error('not for a big body')),
    openStream: () => Promise.reject(new Error('not with a reader')),
    openReader: async () => reader,
    onSent: (n: number, whole: boolean) => void sent.push([n, whole]),
  };
  return { bytes, reads, file, req, sent, opts };
}

describe('sendFile through a positional reader', () => {
  it('reads the next chunks while the socket still holds the previous ones, three at most', async () => {
    const MiB = 1024 * 1024;
    const { bytes, reads, file, req, sent, opts } = copyFixture(5 * MiB + 123);
    const res = new HeldResponse();
    const done = sendFile(req, res as unknown as ServerResponse, file, opts);
    await settle();
    // No write has completed, yet three chunks are read and handed over (not one, then a wait
    // for 'drain'), and no fourth: every buffer is still the socket's.
    expect(reads).toEqual([0, MiB, 2 * MiB]);
    expect(res.held).toHaveLength(3);
    res.release();
    await settle();
    expect(reads).toHaveLength(4);
    while (res.held.length) {
      res.release();
      await settle();
    }
    await done;
    expect(res.status).toBe(200);
    expect(res.ended).toBe(true);
    expect(Buffer.concat(res.out).equals(bytes)).toBe(true);
    expect(sent).toEqual([[bytes.length, true]]);
  });

  it('stops reading when the client goes away, counts what was handed over, and destroys the response', async () => {
    const MiB = 1024 * 1024;
    const { reads, file, req, sent, opts } = copyFixture(8 * MiB);
    const res = new HeldResponse();
    const done = sendFile(req, res as unknown as ServerResponse, file, opts);
    await settle();
    res.emit('close');
    await done;
    expect(reads).toHaveLength(3);
    expect(res.ended).toBe(false);
    expect(res.destroyed).toBe(true);
    expect(sent).toEqual([[3 * MiB, false]]);
  });
});

/** A small text file's record, and its bytes whole or a range (as the readers return them). */
function smallText(text: string) {
  const bytes = Buffer.from(text);
  const file = {
    id: 'f',
    name: 'small.txt',
    size: bytes.length,
    mimeType: 'text/plain',
    blobKey: 'k-' + text,
    createdAt: 0,
  } as FileRecord;
  const slice = (r?: { start: number; end: number }) =>
    r ? bytes.subarray(r.start, r.end + 1) : bytes;
  return { file, slice };
}

describe('sendFile headers of one cached record', () => {
  /** Records what writeHead was given (a copy: a later request must not change it). */
  function recordingResponse() {
    const res = {
      status: 0,
      headers: {} as Record<string, unknown>,
      given: null as object | null,
      body: null as Buffer | null,
      writeHead(status: number, headers: Record<string, unknown>) {
        res.status = status;
        res.given = headers;
        res.headers = { ...headers };
        return res;
      },
      end(body?: Buffer) {
        res.body = body ?? null;
      },
    };
    return res;
  }

  it('a range request, then whole ones: each gets its own length, the range never leaks', async () => {
    const { file, slice } = smallText('0123456789ab');
    const opts = (disposition: 'inline' | 'attachment') => ({
      disposition,
      readBytes: async (r?: { start: number; end: number }) => slice(r),
      openStream: () => Promise.reject(new Error('small bodies are read whole')),
      openReader: async () => null,
    });
    const send = async (headers: Record<string, string>, disposition: 'inline' | 'attachment') => {
      const res = recordingResponse();
      const req = { method: 'GET', headers } as IncomingMessage;
      await sendFile(req, res as unknown as ServerResponse, file, opts(disposition));
      return res;
    };
    const ranged = await send({ range: 'bytes=2-4' }, 'inline');
    expect(ranged.status).toBe(206);
    expect(ranged.headers['Content-Length']).toBe(3);
    expect(ranged.headers['Content-Range']).toBe('bytes 2-4/12');
    expect(ranged.body?.toString()).toBe('234');

    const whole = await send({}, 'inline');
    expect(whole.status).toBe(200);
    expect(whole.headers['Content-Length']).toBe(12);
    expect(whole.headers['Content-Range']).toBeUndefined();
    expect(whole.headers['Content-Disposition']).toMatch(/^inline;/);
    expect(whole.body?.toString()).toBe('0123456789ab');

    const attached = await send({}, 'attachment');
    expect(attached.headers['Content-Disposition']).toMatch(/^attachment;/);
    expect(attached.headers['Content-Length']).toBe(12);

    // A second range of another length after the whole responses: its own headers again, and
    // the whole response's headers (shared by every whole response of this record) unchanged.
    const tail = await send({ range: 'bytes=-5' }, 'inline');
    expect(tail.headers['Content-Length']).toBe(5);
    expect(tail.headers['Content-Range']).toBe('bytes 7-11/12');
    expect(tail.given).not.toBe(whole.given);
    expect(whole.given).toEqual(whole.headers);
    const again = await send({}, 'inline');
    expect(again.headers).toEqual(whole.headers);
  });
});

describe('sendFile of bytes at hand', () => {
  it('answers from heldBytes without reading, and reads when they are not held', async () => {
    const { file, slice } = smallText('held bytes');
    let reads = 0;
    const send = async (held: boolean, headers: Record<string, string> = {}) => {
      const out: { status: number; body: Buffer | null } = { status: 0, body: null };
      const res = {
        writeHead: (status: number) => ((out.status = status), res),
        end: (body?: Buffer) => void (out.body = body ?? null),
      };
      await sendFile(
        { method: 'GET', headers } as IncomingMessage,
        res as unknown as ServerResponse,
        file,
        {
          disposition: 'inline',
          readBytes: async (r) => (reads++, slice(r)),
          heldBytes: (r) => (held ? slice(r) : undefined),
          openStream: () => Promise.reject(new Error('small bodies are read whole')),
          openReader: async () => null,
        },
      );
      return out;
    };
    expect((await send(true)).body?.toString()).toBe('held bytes');
    expect((await send(true, { range: 'bytes=5-' })).body?.toString()).toBe('bytes');
    expect(reads).toBe(0);
    expect((await send(false)).body?.toString()).toBe('held bytes');
    expect(reads).toBe(1);
  });
});

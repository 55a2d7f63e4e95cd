import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { batchedDestination } from './log-batch.js';
import { formatLine } from './pretty-log.js';
import { dialectOf } from './request-log.js';

describe('dialectOf', () => {
  it.each([
    ['/api/tus', 'pixeldrain', 'tus'],
    ['/api/tus/:id', 'pixeldrain', 'tus'],
    ['/api/admin/files/:id/block', 'pixeldrain', 'admin'],
    ['/metrics', undefined, 'metrics'],
    ['/api/file/:id', 'pixeldrain', 'pixeldrain'],
    ['/api/tusk', 'pixeldrain', 'pixeldrain'],
    ['/api/:version(^[0-9]+)/:action', 'chevereto', 'chevereto'],
    ['/u/:id', undefined, 'web'],
  ] as const)('%s (%s) -> %s', (url, tagged, expected) => {
    expect(dialectOf(url, tagged)).toBe(expected);
  });
});

describe('formatLine (pretty)', () => {
  const time = new Date(2026, 0, 2, 3, 4, 5, 67).getTime();

  it('a request line: method, route, status, size, duration, client, dialect, request id', () => {
    const line = JSON.stringify({
      level: 30,
      time,
      pid: 1,
      hostname: 'h',
      reqId: 'req-7',
      event: 'request',
      method: 'GET',
      route: '/api/file/:id',
      status: 200,
      bytes: 4400,
      durationMs: 0.8,
      client: '10.0.0.1',
      dialect: 'pixeldrain',
      msg: 'request',
    });
    expect(formatLine(line, false)).toBe(
      '03:04:05.067 INFO  GET /api/file/:id 200 4.3 KiB 0.8 ms 10.0.0.1 pixeldrain req-7',
    );
  });

  it('other lines: message, fields, request id, and an error stack indented', () => {
    const line = JSON.stringify({
      level: 50,
      time,
      reqId: 'req-9',
      event: 'error',
      code: 'EBOOM',
      err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' },
      note: 'two words',
      msg: 'upload failed',
    });
    expect(formatLine(line, false)).toBe(
      '03:04:05.067 ERROR upload failed code=EBOOM note="two words" req-9\n' +
        '    Error: boom\n        at x',
    );
  });

  it('colours only when asked; a line that is not JSON stays as it is', () => {
    const line = JSON.stringify({ level: 40, time, msg: 'careful' });
    expect(formatLine(line, true)).toContain('\x1b[33mWARN \x1b[0m');
    expect(formatLine(line, false)).not.toContain('\x1b[');
    expect(formatLine('plain text\n', false)).toBe('plain text');
  });
});

/** A sink that records each write. */
function sink() {
  const writes: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      writes.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { out, writes };
}

describe('batchedDestination', () => {
  it('writes the lines of one event-loop turn in one write, at the end of the turn', async () => {
    const { out, writes } = sink();
    const dest = batchedDestination(out, new EventEmitter());
    dest.write('a\n');
    dest.write('b\n');
    expect(writes).toEqual([]);
    await new Promise((r) => setImmediate(r));
    dest.write('c\n');
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual(['a\nb\n', 'c\n']);
  });

  it('writes early past 16 KiB, and what waits when the process exits', () => {
    const { out, writes } = sink();
    const exit = new EventEmitter();
    const dest = batchedDestination(out, exit);
    const big = 'x'.repeat(16 * 1024) + '\n';
    dest.write(big);
    expect(writes).toEqual([big]);
    dest.write('last\n');
    exit.emit('exit', 0);
    expect(writes).toEqual([big, 'last\n']);
  });

  it('a reader that went away (EPIPE) stops the logging, not the process', async () => {
    const { out, writes } = sink();
    const dest = batchedDestination(out, new EventEmitter());
    out.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    dest.write('lost\n');
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual([]);
  });
});

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { S3PartWriter } from './s3-part-writer.js';

const PART = 64 * 1024;

type Sent = { command: string; input: Record<string, unknown> };

/**
 * A stand-in for the S3 client: records every command, keeps a copy of each part as it was when
 * its request began, and answers parts after `partDelayMs` (or fails part `failPart`).
 */
function fakeS3({ partDelayMs = 0, failPart = 0 } = {}) {
  const sent: Sent[] = [];
  const parts = new Map<number, Buffer>();
  let inFlight = 0;
  let maxInFlight = 0;
  /** Parts whose bytes changed while their request was in flight (a buffer reused too early). */
  const changed: number[] = [];
  const client = {
    async send(cmd: { constructor: { name: string }; input: Record<string, unknown> }) {
      const command = cmd.constructor.name;
      sent.push({ command, input: cmd.input });
      if (command === 'CreateMultipartUploadCommand') return { UploadId: 'up-1' };
      if (command === 'UploadPartCommand') {
        const n = cmd.input.PartNumber as number;
        const body = cmd.input.Body as Buffer;
        const copy = Buffer.from(body);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          await new Promise((r) => setTimeout(r, partDelayMs));
          if (!copy.equals(body)) changed.push(n);
          if (n === failPart) throw new Error(`part ${n} refused`);
          parts.set(n, copy);
          return { ETag: `"etag-${n}"` };
        } finally {
          inFlight--;
        }
      }
      return {};
    },
  };
  return {
    client,
    sent,
    parts,
    changed,
    maxInFlight: () => maxInFlight,
    commands: () => sent.map((s) => s.command),
    /** The object as CompleteMultipartUpload assembles it from the listed parts. */
    assembled(): Buffer {
      const complete = sent.find((s) => s.command === 'CompleteMultipartUploadCommand')!;
      const listed = (complete.input.MultipartUpload as { Parts: Array<{ PartNumber: number }> })
        .Parts;
      return Buffer.concat(listed.map((p) => parts.get(p.PartNumber)!));
    },
  };
}

function writer(s3: ReturnType<typeof fakeS3>, queueSize = 2) {
  return new S3PartWriter({
    client: s3.client as never,
    bucket: 'b',
    key: 'k',
    partSize: PART,
    queueSize,
    checksums: 'when_required',
  });
}

/** Feed `body` in chunks of `chunk` bytes. */
async function feed(w: S3PartWriter, body: Buffer, chunk: number): Promise<void> {
  for (let i = 0; i < body.length; i += chunk) await w.write(body.subarray(i, i + chunk));
}

describe('S3PartWriter', () => {
  it('an object within the first part is one PutObject of its exact bytes, no multipart upload', async () => {
    const s3 = fakeS3();
    const w = writer(s3);
    const body = randomBytes(PART - 1);
    await feed(w, body, 1000);
    await w.end();
    expect(s3.commands()).toEqual(['PutObjectCommand']);
    expect((s3.sent[0]!.input.Body as Buffer).equals(body)).toBe(true);
    expect(w.allocatedBuffers).toBe(0);
  });

  it('a larger object: parts in order, reassembled byte for byte, buffers reused (queueSize + 1 at most)', async () => {
    const s3 = fakeS3({ partDelayMs: 5 });
    const w = writer(s3, 2);
    // 10 parts and a bit, in chunks that straddle the part boundaries
    const body = randomBytes(PART * 10 + 12_345);
    await feed(w, body, 7_777);
    await w.end();
    const cmds = s3.commands();
    expect(cmds[0]).toBe('CreateMultipartUploadCommand');
    expect(cmds.filter((c) => c === 'UploadPartCommand')).toHaveLength(11);
    expect(cmds.at(-1)).toBe('CompleteMultipartUploadCommand');
    const complete = s3.sent.at(-1)!.input;
    expect(complete.UploadId).toBe('up-1');
    expect(
      (complete.MultipartUpload as { Parts: Array<{ PartNumber: number; ETag: string }> }).Parts,
    ).toEqual(
      Array.from({ length: 11 }, (_, i) => ({ PartNumber: i + 1, ETag: `"etag-${i + 1}"` })),
    );
    expect(s3.assembled().equals(body)).toBe(true);
    expect(s3.changed).toEqual([]);
    expect(s3.maxInFlight()).toBe(2);
    expect(w.allocatedBuffers).toBe(3);
  });

  it('an object of exactly one part, and chunks larger than a part', async () => {
    const one = fakeS3();
    const w1 = writer(one);
    const body1 = randomBytes(PART);
    await feed(w1, body1, 4096);
    await w1.end();
    expect(one.commands().filter((c) => c === 'UploadPartCommand')).toHaveLength(1);
    expect(one.assembled().equals(body1)).toBe(true);

    const big = fakeS3({ partDelayMs: 2 });
    const w2 = writer(big, 1);
    const body2 = randomBytes(PART * 3 + 5);
    await feed(w2, body2, PART * 2 + 1);
    await w2.end();
    expect(big.assembled().equals(body2)).toBe(true);
    expect(big.maxInFlight()).toBe(1);
    expect(big.changed).toEqual([]);
  });

  it('a failed part fails the writer; abort removes the multipart upload after the parts in flight', async () => {
    const s3 = fakeS3({ partDelayMs: 2, failPart: 2 });
    const w = writer(s3, 2);
    const body = randomBytes(PART * 8);
    await expect(feed(w, body, 10_000).then(() => w.end())).rejects.toThrow('part 2 refused');
    await w.abort();
    const cmds = s3.commands();
    expect(cmds.at(-1)).toBe('AbortMultipartUploadCommand');
    expect(s3.sent.at(-1)!.input).toMatchObject({ Bucket: 'b', Key: 'k', UploadId: 'up-1' });
    expect(cmds).not.toContain('CompleteMultipartUploadCommand');
    // no part was sent after the failure was seen, nor while the abort waited
    expect(cmds.filter((c) => c === 'UploadPartCommand').length).toBeLessThanOrEqual(4);
    await expect(w.write(Buffer.from('more'))).rejects.toThrow('part 2 refused');
  });

  it('abort before any part: nothing to remove', async () => {
    const s3 = fakeS3();
    const w = writer(s3);
    await w.write(randomBytes(100));
    await w.abort();
    expect(s3.commands()).toEqual([]);
  });

  it('with when_supported checksums, the upload is created for CRC32 parts and their checksums completed', async () => {
    const sent: Sent[] = [];
    const client = {
      async send(cmd: { constructor: { name: string }; input: Record<string, unknown> }) {
        sent.push({ command: cmd.constructor.name, input: cmd.input });
        if (cmd.constructor.name === 'CreateMultipartUploadCommand') return { UploadId: 'u' };
        if (cmd.constructor.name === 'UploadPartCommand') {
          return { ETag: '"e"', ChecksumCRC32: `crc-${String(cmd.input.PartNumber)}` };
        }
        return {};
      },
    };
    const w = new S3PartWriter({
      client: client as never,
      bucket: 'b',
      key: 'k',
      partSize: PART,
      queueSize: 2,
      checksums: 'when_supported',
    });
    await feed(w, randomBytes(PART + 1), 9000);
    await w.end();
    expect(sent[0]!.input).toMatchObject({ ChecksumAlgorithm: 'CRC32' });
    expect(sent.at(-1)!.input.MultipartUpload).toEqual({
      Parts: [
        { PartNumber: 1, ETag: '"e"', ChecksumCRC32: 'crc-1' },
        { PartNumber: 2, ETag: '"e"', ChecksumCRC32: 'crc-2' },
      ],
    });
  });
});

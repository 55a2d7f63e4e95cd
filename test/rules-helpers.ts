import http from 'node:http';
import { solveChallenge, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { expect } from 'vitest';

/** Helpers of the download-rules suites. */
interface Res {
  status: number;
  body: Buffer;
  json(): Record<string, unknown>;
}

/**
 * A request from a chosen loopback source address (127.0.0.x): loopback accepts the whole /8, so
 * the server sees each as another client.
 */
export function request(
  url: string,
  opts: { from?: string; method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: opts.method ?? 'GET',
        headers: opts.headers ?? {},
        localAddress: opts.from ?? '127.0.0.1',
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            body,
            json: () => JSON.parse(body.toString('utf8')) as Record<string, unknown>,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Solve a challenge of the server the way the widget does; the payload it submits. */
export async function solvedPayload(base: string): Promise<string> {
  const r = await fetch(`${base}/api/misc/captcha/challenge`);
  expect(r.status).toBe(200);
  const challenge = (await r.json()) as Challenge;
  const solution = await solveChallenge({ challenge, deriveKey });
  expect(solution).not.toBeNull();
  return Buffer.from(
    JSON.stringify({
      challenge: { parameters: challenge.parameters, signature: challenge.signature },
      solution,
    }),
  ).toString('base64');
}

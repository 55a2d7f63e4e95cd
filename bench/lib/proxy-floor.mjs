// The proxy floor of the scale-out stack's 1 GiB GET (`--stack pg-s3`): what a bare node:http
// process reaches when it passes an S3 object to the client as Stowage's S3 store does, with no
// framework, database or checks. Its ratio to the ceiling (the SDK's GetObject straight from
// s3rver) bounds the proxied GET row: Stowage's process sits between s3rver and the client on the
// same CPUs, and so does this one. Two ways:
//
// - `sdk`: the AWS SDK's GetObject of the object, its body piped into the response (Stowage's
//   S3BlobStore.get and sendFile's pipeline);
// - `http`: node:http's GET of a presigned URL of the object, piped into the response (no SDK).
//
// It reads the object the round's Stowage GET just read (bucket and key from the presigned URL
// Stowage's redirect gave), before that file is deleted.

import { createRequire } from 'node:module';
import { freePort } from './servers.mjs';
import { floorGet, summarizeFloor } from './get-floor.mjs';
import { fmtNum, fmtSpread } from './report.mjs';
import { HOST, startScript } from './util.mjs';

export const PROXY_FLOOR_MODES = ['sdk', 'http'];

const SERVER = `
const http = require('node:http');
const { pipeline } = require('node:stream');
const [port, sdkPath, s3json, target] = process.argv.slice(1);
const { S3Client, GetObjectCommand } = require(sdkPath);
const url = new URL(target);
const slash = url.pathname.indexOf('/', 1);
const Bucket = decodeURIComponent(url.pathname.slice(1, slash));
const Key = decodeURIComponent(url.pathname.slice(slash + 1));
const client = new S3Client({
  ...JSON.parse(s3json),
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
const agent = new http.Agent({ keepAlive: true });
const send = (res, length, body) => {
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': length });
  pipeline(body, res, () => {});
};
http.createServer(async (req, res) => {
  req.on('error', () => {});
  res.on('error', () => {});
  try {
    if (req.url === '/sdk') {
      const got = await client.send(new GetObjectCommand({ Bucket, Key }));
      send(res, got.ContentLength, got.Body);
    } else if (req.url === '/http') {
      const up = http.get(url, { agent }, (u) => {
        if (u.statusCode === 200) return send(res, u.headers['content-length'], u);
        u.destroy(); // unread, and without a listener its failure would end the process
        res.destroy();
      });
      up.on('error', () => res.destroy());
    } else res.writeHead(404).end();
  } catch {
    res.destroy();
  }
}).listen(Number(port), '${HOST}', () => console.log('ready'));
`;

/**
 * The floor's server for the object at `target` (a presigned path-style URL of s3rver: its
 * bucket and key; `s3`: { endpoint, region, credentials }); get(mode, size) fetches it once.
 */
export async function startProxyFloor(s3, target) {
  const port = await freePort();
  const sdk = createRequire(import.meta.url).resolve('@aws-sdk/client-s3');
  const { stop } = await startScript(
    SERVER,
    [String(port), sdk, JSON.stringify(s3), target],
    'proxy floor server',
  );
  return {
    /** One GET of the whole object in `mode`, read as the bench reads Stowage's. */
    get: (mode, size) => floorGet(port, mode, size, 'proxy floor'),
    stop,
  };
}

/**
 * Per mode: the floor's MB/s (median over rounds) and its ratio to the ceiling's GET of the same
 * round; Stowage's proxied GET as a ratio to the `sdk` floor (the way it reads).
 */
export function summarizeProxyFloor(rounds) {
  return summarizeFloor(rounds, {
    key: 'floorProxyGet',
    modes: PROXY_FLOOR_MODES,
    main: 'sdk',
    ratioName: 'toCeiling',
    reference: (r) => r.ceiling?.getBig?.mbps,
    stowage: (r) => r.servers.stowage?.getBig?.mbps,
  });
}

export function renderProxyFloor(f, bigLabel) {
  const modes = PROXY_FLOOR_MODES.map(
    (m) => `${m} ${fmtNum(f[m].mbps)} MB/s = ${fmtSpread(f[m].toCeiling)}x S3 direct`,
  ).join('; ');
  return (
    `proxy floor, GET ${bigLabel} (a bare node:http process passing the S3 object on; medians ` +
    `of ${f.rounds} round(s)): ${modes}; Stowage's = ${fmtSpread(f.stowageToFloor)}x the sdk floor`
  );
}

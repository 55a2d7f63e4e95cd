import http from 'node:http';
import { generate } from './generators.js';
import { basicAuth, type Fixtures } from './pieces.js';
import { Rng } from './rng.js';
import type { FuzzServer } from './server.js';
import { describeRequest, send, type FuzzRequest, type Outcome } from './transport.js';

export interface FuzzOptions {
  seed: number;
  count: number;
  /** Only these request indexes (a replay of a failure), else 0..count-1. */
  only: number[] | null;
  concurrency: number;
  timeoutMs: number;
}

export interface Failure {
  index: number;
  kind: '5xx' | 'hang' | 'no answer' | 'crash';
  request: FuzzRequest;
  outcome: Outcome | null;
  detail: string;
  /** Set by confirm(): whether it failed the same way when replayed alone. */
  confirmed?: boolean;
}

export interface FuzzResult {
  sent: number;
  outcomes: Record<string, number>;
  failures: Failure[];
  durationMs: number;
}

// ---------------------------------------------------------------------------------------------
// fixtures, made with plain well-formed requests

function call(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | string = '',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false });
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.end(body);
  });
}

async function userKey(port: number, username: string, password: string): Promise<string> {
  const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
  const creds = `username=${username}&password=${password}`;
  const reg = await call(port, 'POST', '/api/user/register', form, `${creds}&email=`);
  if (reg.status !== 201) throw new Error(`register ${username}: ${reg.status} ${reg.body}`);
  const login = await call(port, 'POST', '/api/user/login', form, creds);
  if (login.status !== 201) throw new Error(`login ${username}: ${login.status} ${login.body}`);
  return (JSON.parse(login.body) as { auth_key: string }).auth_key;
}

/** A 1×1 PNG (so thumbnails and Chevereto images have a real image to work on). */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

export async function makeFixtures(port: number, guestKey: string): Promise<Fixtures> {
  const username = 'fuzzowner';
  const password = 'fuzz-password-1';
  const key = await userKey(port, username, password);
  const spareKey = await userKey(port, 'fuzzspare', 'fuzz-password-2');
  const auth = { Authorization: basicAuth(key) };
  const big = new Rng(7).bytes(200 * 1024);
  const fileIds: string[] = [];
  for (const [name, body] of [
    ['hello.txt', Buffer.from('hello, fuzz\n')],
    ['pixel.png', PNG],
    ['random.bin', big],
  ] as const) {
    const res = await call(port, 'PUT', `/api/file/${name}`, auth, body);
    if (res.status !== 201) throw new Error(`upload ${name}: ${res.status} ${res.body}`);
    fileIds.push((JSON.parse(res.body) as { id: string }).id);
  }
  const list = await call(
    port,
    'POST',
    '/api/list',
    { ...auth, 'Content-Type': 'application/json' },
    JSON.stringify({ title: 'fuzz', files: fileIds.map((id) => ({ id })) }),
  );
  if (list.status !== 201) throw new Error(`list: ${list.status} ${list.body}`);
  const listId = (JSON.parse(list.body) as { id: string }).id;
  return { key, spareKey, username, password, fileIds, listId, guestKey };
}

// ---------------------------------------------------------------------------------------------
// the run

function judge(req: FuzzRequest, o: Outcome): Failure['kind'] | null {
  if (o.kind === 'response') {
    // 505 is Node's own answer to an HTTP version it does not speak: not a server failure.
    return o.status >= 500 && o.status !== 505 ? '5xx' : null;
  }
  if (o.kind === 'timeout') return 'hang';
  // A well-framed request must get an answer (a reset may come from an early refusal racing
  // with our writes, and is accepted like a close without answer for cut-off requests).
  if (req.complete && o.kind === 'closed') return 'no answer';
  return null;
}

/**
 * Send `count` generated requests, `concurrency` at a time, against a server that is restarted
 * if it dies (the requests in flight then are the suspects of the crash).
 */
export async function runFuzz(
  server: FuzzServer,
  fx: Fixtures,
  opts: FuzzOptions,
): Promise<FuzzResult> {
  const t0 = Date.now();
  const indexes = opts.only ?? Array.from({ length: opts.count }, (_, i) => i);
  const outcomes: Record<string, number> = {};
  const failures: Failure[] = [];
  const inFlight = new Map<number, FuzzRequest>();
  // A request can kill the server after its answer (a body parsed on after an early refusal):
  // the ones answered in the last second are suspects too.
  const recent: Array<{ index: number; request: FuzzRequest; at: number }> = [];
  let restarting: Promise<void> | null = null;

  server.onCrash = () => {
    const crash = server.crashes[server.crashes.length - 1]!;
    const since = Date.now() - 1000;
    const suspects = [
      ...inFlight.entries(),
      ...recent.filter((r) => r.at >= since).map((r) => [r.index, r.request] as const),
    ];
    for (const [index, request] of suspects) {
      failures.push({
        index,
        kind: 'crash',
        request,
        outcome: null,
        detail:
          `the server died (${crash.how}) with ${suspects.length} request(s) in flight ` +
          `or answered in the last second (this one among them)\n    server stderr: ${crash.stderr.slice(-1500)}`,
      });
    }
    restarting = server.start().finally(() => {
      restarting = null;
    });
  };

  let next = 0;
  const worker = async () => {
    while (next < indexes.length) {
      const index = indexes[next++]!;
      const request = generate(Rng.forRequest(opts.seed, index), fx);
      if (restarting) await restarting;
      inFlight.set(index, request);
      const crashesBefore = server.crashes.length;
      const outcome = await send(server.port, request, opts.timeoutMs);
      // A connection closed by a dying server: its exit may be reported a moment later.
      if (outcome.kind !== 'response') await new Promise((r) => setTimeout(r, 200));
      inFlight.delete(index);
      recent.push({ index, request, at: Date.now() });
      if (recent.length > 50) recent.shift();
      const label = outcome.kind === 'response' ? String(outcome.status) : outcome.kind;
      outcomes[label] = (outcomes[label] ?? 0) + 1;
      // A crash's suspects are already reported; what failed after it is its consequence.
      if (failures.some((f) => f.index === index)) continue;
      const kind = judge(request, outcome);
      if (!kind) continue;
      if (kind !== 'hang' && (!server.alive || server.crashes.length > crashesBefore)) continue;
      let detail: string;
      if (outcome.kind === 'response') detail = `answer: ${outcome.head.split('\r\n')[0]}`;
      else if (outcome.kind === 'timeout')
        detail = `no answer in ${opts.timeoutMs} ms (${outcome.bytes} bytes received) ${JSON.stringify(outcome.head)}`;
      else detail = `connection ${outcome.kind} without a status line`;
      failures.push({ index, kind, request, outcome, detail });
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  if (restarting) await restarting;
  server.onCrash = null;
  return { sent: indexes.length, outcomes, failures, durationMs: Date.now() - t0 };
}

/**
 * Replay one example of each class alone (and, for crashes, each suspect in turn until one kills
 * the server), to report what the server logged for exactly that request. Classes whose example
 * does not reproduce alone are said so. At most `maxClasses` classes are replayed.
 */
export async function confirm(
  server: FuzzServer,
  result: FuzzResult,
  timeoutMs: number,
  maxClasses = 30,
): Promise<void> {
  const classes = new Map<string, Failure[]>();
  for (const f of result.failures) {
    const k = f.kind === 'crash' ? `crash:${crashSignature(f.detail)}` : classify(f);
    classes.set(k, [...(classes.get(k) ?? []), f]);
  }
  let replayed = 0;
  // Crashes first: they matter most, and their suspects are many.
  const order = [...classes.values()].sort(
    (a, b) => Number(b[0]!.kind === 'crash') - Number(a[0]!.kind === 'crash'),
  );
  for (const fs of order) {
    if (replayed++ >= maxClasses) break;
    // Suspects with a body first (multipart ones before the rest): bodies are what crashes.
    const weight = (f: Failure) =>
      (f.request.category === 'multipart' ? 0 : 2) + (f.request.body.length > 0 ? 0 : 1);
    const candidates =
      fs[0]!.kind === 'crash'
        ? [...new Set(fs)].sort((a, b) => weight(a) - weight(b)).slice(0, 40)
        : [fs[0]!];
    for (const f of candidates) {
      if (!server.alive) await server.start();
      const before = server.recentLog().length;
      const crashesBefore = server.crashes.length;
      const outcome = await send(server.port, f.request, timeoutMs);
      await new Promise((r) => setTimeout(r, f.kind === 'crash' ? 300 : 100));
      const logged = server
        .recentLog()
        .slice(before)
        .split('\n')
        .filter((l) => l.includes('"level":50'))
        .map((l) => l.slice(0, 1500));
      const died = server.crashes.length > crashesBefore || !server.alive;
      const again =
        f.kind === 'crash'
          ? died
          : f.kind === '5xx'
            ? outcome.kind === 'response' &&
              outcome.status === (f.outcome as { status: number }).status
            : outcome.kind === f.outcome?.kind;
      f.confirmed = again;
      if (logged.length > 0)
        f.detail += `\n    logged when replayed alone: ${logged.join('\n      ')}`;
      if (f.kind === 'crash' && died) {
        // What this request's own crash said (another one may have died first in the run).
        const own = server.crashes[server.crashes.length - 1]!;
        f.detail = `replayed alone, this request kills the server (${own.how})\n    server stderr: ${own.stderr.slice(-1500)}`;
        // Keep the culprit first in its class.
        fs.splice(fs.indexOf(f), 1);
        fs.unshift(f);
        break;
      }
    }
  }
  // Suspects cleared by the replay of their crash are not failures of their own.
  result.failures = [...classes.values()].flatMap((fs) =>
    fs[0]!.kind === 'crash' && fs[0]!.confirmed ? [fs[0]!] : fs,
  );
  if (!server.alive) await server.start();
}

function crashSignature(detail: string): string {
  const m = /\n(\w*Error[^\n]*)\n\s+at ([^\n]*)/.exec(detail);
  return m ? `${m[1]} at ${m[2]}` : detail.split('\n')[0]!;
}

/** Group failures into classes (kind, status, category, method and path shape). */
export function classify(f: Failure): string {
  const line = f.request.head.toString('latin1').split('\r\n')[0] ?? '';
  const [method = '', target = ''] = line.split(' ');
  const shape = target
    .split('?')[0]!
    .split('/')
    .slice(0, 4)
    .map((s, i) => (i >= 3 || s.length > 24 ? '…' : s))
    .join('/');
  const status = f.outcome?.kind === 'response' ? ` ${f.outcome.status}` : '';
  if (f.kind === 'crash' && f.confirmed) return `crash: ${crashSignature(f.detail)}`;
  return `${f.kind}${status} [${f.request.category}] ${method.slice(0, 10)} ${shape.slice(0, 60)}`;
}

/** The failure report: one example per class, with the seed and index to replay it. */
export function report(result: FuzzResult, seed: number): string {
  const classes = new Map<string, Failure[]>();
  // Crash suspects not shown to kill the server alone: one line, not a class each.
  const cleared = result.failures.filter((f) => f.kind === 'crash' && f.confirmed !== true);
  const deaths = new Set(
    result.failures.filter((x) => x.kind === 'crash').map((f) => crashSignature(f.detail)),
  );
  for (const f of result.failures) {
    if (cleared.includes(f)) continue;
    const k = classify(f);
    classes.set(k, [...(classes.get(k) ?? []), f]);
  }
  const out = [
    `fuzz: ${result.failures.length} failure(s) in ${classes.size} class(es) over ${result.sent} requests, seed ${seed}`,
    ...[...deaths].map((sig) => `the server died of: ${sig}`),
    ...(cleared.length > 0
      ? [
          `${cleared.length} request(s) were in flight or just answered when the server died, not shown to kill it alone: ${cleared
            .slice(0, 30)
            .map((f) => f.index)
            .join(', ')}${cleared.length > 30 ? ', …' : ''}`,
        ]
      : []),
    `replay one: STOWAGE_FUZZ_SEED=${seed} STOWAGE_FUZZ_ONLY=<index> npx vitest run test/fuzz.test.ts`,
  ];
  for (const [k, fs] of [...classes].sort((a, b) => b[1].length - a[1].length)) {
    const first = fs[0]!;
    out.push(
      '',
      `== ${k}: ${fs.length}× (indexes ${fs
        .slice(0, 12)
        .map((f) => f.index)
        .join(', ')}${fs.length > 12 ? ', …' : ''})`,
      `  #${first.index}${first.confirmed === false ? ' (did not fail when replayed alone)' : ''} ${describeRequest(first.request)}`,
      `    ${first.detail}`,
    );
  }
  return out.join('\n');
}

// Results: the summary over rounds (medians of per-round ratios), the table and the notes under
// it, the environment description, and the JSON file under bench/results/.
//
// `view` describes the run: { servers: ['nginx', 'stowage'], metrics: [{ key, label, field,
// target }], bigLabel: '1 GiB', rssLimitMiB: 150 }.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RESULTS_DIR, ROOT, firstLine, median, round1, round2 } from './util.mjs';

/** Rows measured as request rates (wrk or the multi-address client): failures and latencies. */
const RATE_KEYS = new Set(['getSmall', 'getSmallMulti', 'getSmallIdle', 'putSmall']);
const RATE_NOTES = {
  getSmall: '4 KiB GET',
  getSmallMulti: '4 KiB GET, 64 addresses',
  getSmallIdle: '4 KiB GET, idle connections open',
  putSmall: '4 KiB PUT',
};

export function summarize(rounds, { servers, metrics, rssLimitMiB }) {
  const summary = {};
  const both = servers.includes('nginx') && servers.includes('stowage');
  for (const m of metrics) {
    // A row may take nginx's figure from another row (the filesystem's PUT: nginx's PUT).
    const keyOf = (name) => (name === 'nginx' && m.nginxKey ? m.nginxKey : m.key);
    const per = {};
    for (const name of servers) {
      per[name] = median(rounds.map((r) => r.servers[name]?.[keyOf(name)]?.[m.field]));
    }
    const ratioOf = (r, aKey, bName, bKey) => {
      const a = r.servers.stowage?.[aKey]?.[m.field];
      const b = r.servers[bName]?.[bKey]?.[m.field];
      return typeof a === 'number' && typeof b === 'number' && b > 0 ? a / b : null;
    };
    const ratios = both ? rounds.map((r) => ratioOf(r, m.key, 'nginx', keyOf('nginx'))) : [];
    const valid = ratios.filter((x) => x !== null);
    const ratio = median(valid);
    const s = { ...per, ratios: ratios.map((x) => (x === null ? null : round2(x))), ratio };
    s.ratioMin = valid.length ? Math.min(...valid) : null;
    s.ratioMax = valid.length ? Math.max(...valid) : null;
    s.target = m.target;
    s.met = ratio === null ? null : ratio >= m.target;
    // ... and be compared with another of Stowage's rows of the same round (PUT /api/file).
    if (m.versus && servers.includes('stowage')) {
      const vs = rounds.map((r) => ratioOf(r, m.key, 'stowage', m.versus.key));
      const ok = vs.filter((x) => x !== null);
      const v = median(ok);
      s.versus = {
        key: m.versus.key,
        label: m.versus.label,
        ratios: vs.map((x) => (x === null ? null : round2(x))),
        ratio: v === null ? null : round2(v),
        ratioMin: ok.length ? round2(Math.min(...ok)) : null,
        ratioMax: ok.length ? round2(Math.max(...ok)) : null,
        target: m.versus.target,
        met: v === null || m.versus.target == null ? null : v >= m.versus.target,
      };
    }
    if (m.key === 'getSmallIdle') {
      for (const name of servers) {
        const idle = rounds.map((r) => r.servers[name]?.getSmallIdle?.idle).filter(Boolean);
        const sum = (f) => (idle.length ? idle.reduce((a, x) => a + x[f], 0) : null);
        s[`${name}Idle`] = {
          requested: sum('requested'),
          opened: sum('opened'),
          openAtEnd: sum('openAtEnd'),
          closedByServer: sum('closedByServer'),
        };
      }
    }
    if (m.key === 'putConcurrent' || m.key === 'getConcurrent') {
      for (const name of servers) {
        const runs = rounds.map((r) => r.servers[name]?.[m.key]).filter((x) => x && !x.error);
        const each = runs.flatMap((x) => x.eachSeconds);
        s[`${name}SlowestSeconds`] = each.length ? Math.max(...each) : null;
        s[`${name}FastestSeconds`] = each.length ? Math.min(...each) : null;
        const peaks = runs.map((x) => x.peakProcessRssMiB);
        s[`${name}PeakProcessRssMiB`] = peaks.length ? Math.max(...peaks) : null;
      }
    }
    if (RATE_KEYS.has(m.key)) {
      for (const name of servers) {
        const runs = rounds.map((r) => r.servers[name]?.[m.key]).filter((x) => x && !x.error);
        s[`${name}Non2xx`] = runs.reduce((a, x) => a + x.non2xx, 0);
        s[`${name}SocketErrors`] = runs.reduce(
          (a, x) => a + Object.values(x.socketErrors).reduce((p, q) => p + q, 0),
          0,
        );
        s[`${name}P50Ms`] = median(runs.map((x) => x.latencyMs.p50));
        s[`${name}P99Ms`] = median(runs.map((x) => x.latencyMs.p99));
      }
    }
    summary[m.key] = s;
  }
  const rss = {};
  for (const name of servers) {
    const max = (k) => {
      const v = rounds.map((r) => r.servers[name]?.[k]).filter((x) => x != null);
      return v.length ? Math.max(...v) : null;
    };
    rss[name] = max('peakRssMiB');
    rss[`${name}Median`] = median(rounds.map((r) => r.servers[name]?.peakRssMiB));
    rss[`${name}Process`] = max('peakProcessRssMiB');
    rss[`${name}ProcessMedian`] = median(rounds.map((r) => r.servers[name]?.peakProcessRssMiB));
    rss[`${name}Anon`] = max('peakAnonMiB');
    rss[`${name}Pss`] = max('peakPssMiB');
    rss[`${name}Idle`] = median(rounds.map((r) => r.servers[name]?.idle?.rssMiB));
    rss[`${name}IdlePss`] = median(rounds.map((r) => r.servers[name]?.idle?.pssMiB));
    rss[`${name}Processes`] = max('processes');
  }
  rss.limitMiB = rssLimitMiB;
  rss.limitAppliesTo = 'largest single process';
  rss.met = rss.stowageProcess == null ? null : rss.stowageProcess < rssLimitMiB;
  summary.peakRss = rss;
  return summary;
}

export function fmtNum(x, digits = 0) {
  if (x === null || x === undefined) return '–';
  return x.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

export function renderTable(summary, { servers, metrics, bigLabel, rssLimitMiB }) {
  const rows = [['metric', 'nginx', 'stowage', 'ratio (stowage/nginx)', 'target', 'met']];
  const cell = (s, name, key) => {
    if (!servers.includes(name)) return 'not run';
    let text = fmtNum(s[name]);
    if (s[name] === null) text = 'ERROR';
    const bad = (s[`${name}Non2xx`] || 0) + (s[`${name}SocketErrors`] || 0);
    if (RATE_KEYS.has(key) && bad) text += ` (${fmtNum(bad)} failed)`;
    return text;
  };
  for (const m of metrics) {
    const s = summary[m.key];
    let ratio = s.ratio === null ? '–' : s.ratio.toFixed(2);
    if (s.ratio !== null && s.ratios.length > 1) {
      ratio += ` [${s.ratioMin.toFixed(2)}–${s.ratioMax.toFixed(2)}]`;
    }
    const met = s.met === null ? '–' : s.met ? 'yes' : 'NO';
    rows.push([
      m.label,
      cell(s, 'nginx', m.key),
      cell(s, 'stowage', m.key),
      ratio,
      `>= ${m.target}`,
      met,
    ]);
  }
  const rss = summary.peakRss;
  const rssCell = (name) =>
    !servers.includes(name) ? 'not run' : fmtNum(rss[`${name}Process`], 1);
  const [stowageMiB, nginxMiB] = [rss.stowageProcess, rss.nginxProcess];
  rows.push([
    `peak RSS, largest process, ${bigLabel} PUT/GET (MiB)`,
    rssCell('nginx'),
    rssCell('stowage'),
    stowageMiB != null && nginxMiB ? `(${(stowageMiB / nginxMiB).toFixed(1)})` : '–',
    `< ${rssLimitMiB} MiB`,
    rss.met === null ? '–' : rss.met ? 'yes' : 'NO',
  ]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  const sep = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(rows[0]), sep, ...rows.slice(1).map(line)].join('\n');
}

export function renderNotes(summary, { servers, metrics }) {
  const notes = [];
  for (const m of metrics.filter((x) => summary[x.key]?.versus)) {
    const v = summary[m.key].versus;
    const range =
      v.ratios.length > 1 ? ` [${v.ratioMin?.toFixed(2)}–${v.ratioMax?.toFixed(2)}]` : '';
    const target =
      v.target == null
        ? 'no target'
        : `target >= ${v.target}: ${v.met === null ? '–' : v.met ? 'yes' : 'NO'}`;
    notes.push(
      `${m.label} / ${v.label} of the same round: ${v.ratio === null ? '–' : v.ratio.toFixed(2)}${range}, ` +
        target,
    );
  }
  for (const key of metrics.map((m) => m.key).filter((k) => RATE_KEYS.has(k))) {
    const s = summary[key];
    const parts = servers.map((name) => {
      const lat = `p50 ${fmtNum(s[`${name}P50Ms`], 2)} ms, p99 ${fmtNum(s[`${name}P99Ms`], 2)} ms`;
      return `${name} ${lat}, non-2xx ${s[`${name}Non2xx`]}, socket errors ${s[`${name}SocketErrors`]}`;
    });
    notes.push(`${RATE_NOTES[key]}: ${parts.join('; ')}`);
  }
  if (summary.getSmallIdle) notes.push(idleNote(summary.getSmallIdle, servers));
  for (const key of ['putConcurrent', 'getConcurrent'].filter((k) => summary[k])) {
    const s = summary[key];
    const parts = servers.map(
      (name) =>
        `${name} slowest transfer ${fmtNum(s[`${name}SlowestSeconds`], 2)} s, fastest ` +
        `${fmtNum(s[`${name}FastestSeconds`], 2)} s, peak RSS largest process ` +
        `${fmtNum(s[`${name}PeakProcessRssMiB`], 1)} MiB`,
    );
    notes.push(`${key}: ${parts.join('; ')}`);
  }
  const rss = summary.peakRss;
  const mem = servers.map(
    (n) =>
      `${n} (${rss[`${n}Processes`]} proc.) peak RSS largest process ` +
      `${fmtNum(rss[`${n}Process`], 1)} MiB, sum ${fmtNum(rss[n], 1)} MiB ` +
      `(anon ${fmtNum(rss[`${n}Anon`], 1)}, PSS ${fmtNum(rss[`${n}Pss`], 1)}), ` +
      `idle RSS sum ${fmtNum(rss[`${n}Idle`], 1)} MiB (PSS ${fmtNum(rss[`${n}IdlePss`], 1)})`,
  );
  notes.push(`memory: ${mem.join('; ')}`);
  return notes.map((n) => `- ${n}`).join('\n');
}

function gitInfo() {
  const run = (args) => {
    const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : null;
  };
  const commit = run(['rev-parse', 'HEAD']);
  const status = run(['--no-optional-locks', 'status', '--porcelain', '--', 'src']);
  return { commit, srcDirty: status === null ? null : status.length > 0 };
}

/** What the numbers depend on: machine, versions, worker count, git commit. */
export function collectEnvironment({ nginx, wrk, workers }) {
  return {
    nproc: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
    cpu: os.cpus()[0]?.model || 'unknown',
    memGiB: round1(os.totalmem() / 1024 ** 3),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    nginx: firstLine(nginx, ['-v']).replace(/^nginx version:\s*/, ''),
    wrk: firstLine(wrk, ['-v']).split(' ').slice(0, 2).join(' '),
    loadAvgAtStart: os.loadavg().map(round2),
    stowageWorkers: workers,
    uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE || null,
    stowageVersion: JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version,
    git: gitInfo(),
  };
}

/** Writes bench/results/<start time>.json; returns its path. */
export function writeResults({ startedAt, finishedAt, environment, config, summary, rounds }) {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = startedAt
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
  const outFile = path.join(RESULTS_DIR, `${stamp}.json`);
  const result = {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    environment,
    config,
    summary,
    rounds,
  };
  fs.writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
  return outFile;
}

/** "server measurement" for every failed measurement and crashed server, over all rounds. */
export function failedMeasurements(rounds) {
  return rounds.flatMap((r) =>
    Object.entries(r.servers).flatMap(([name, x]) =>
      Object.entries(x)
        .filter(([, v]) => v && typeof v === 'object' && (v.error || v.code !== undefined))
        .map(([k]) => `${name} ${k}`),
    ),
  );
}

function idleNote(s, servers) {
  const parts = servers.map((name) => {
    const i = s[`${name}Idle`];
    if (!i || i.requested === null) return `${name} –`;
    return (
      `${name} ${fmtNum(i.opened)} of ${fmtNum(i.requested)} opened, ${fmtNum(i.openAtEnd)} ` +
      `still open after wrk, ${fmtNum(i.closedByServer)} closed by the server`
    );
  });
  return `idle keep-alive connections (summed over rounds): ${parts.join('; ')}`;
}

// ---------------------------------------------------------------------------------------------
// the scale-out stack's ceiling (`--stack pg-s3`, bench/lib/ceiling.mjs)

/**
 * Medians over rounds of the direct S3 and PostgreSQL figures, and Stowage's 1 GiB PUT and GET
 * as ratios to the S3 ceiling of the same round (median of per-round ratios).
 */
export function summarizeCeiling(rounds, target) {
  const ok = rounds.filter((r) => r.ceiling && !r.ceiling.error);
  const med = (f) => median(ok.map(f));
  /** Stowage's `key` against `direct(round)`, the same transfer made to S3 directly. */
  const ratio = (key, direct = (r) => r.ceiling[key]?.mbps) => {
    const per = ok.map((r) => {
      const a = r.servers.stowage?.[key]?.mbps;
      const b = direct(r);
      return typeof a === 'number' && b > 0 ? a / b : null;
    });
    const valid = per.filter((x) => x !== null);
    const m = median(valid);
    return {
      stowageMBps: median(ok.map((r) => r.servers.stowage?.[key]?.mbps)),
      s3MBps: med(direct),
      ratios: per.map((x) => (x === null ? null : round2(x))),
      ratio: m === null ? null : round2(m),
      target,
      met: m === null ? null : m >= target,
    };
  };
  return {
    rounds: ok.length,
    errors: rounds.filter((r) => r.ceiling?.error).map((r) => r.ceiling.error),
    putBig: ratio('putBig'),
    getBig: ratio('getBig'),
    // the client following the redirect, against the same client fetching the URL itself
    getBigRedirect: ratio('getBigRedirect', (r) => r.servers.stowage?.getBigRedirect?.directMbps),
    s3GetSmall: {
      okRps: med((r) => r.ceiling.getSmall.okRps),
      p50Ms: med((r) => r.ceiling.getSmall.latencyMs.p50),
      p99Ms: med((r) => r.ceiling.getSmall.latencyMs.p99),
      errors: ok.reduce((a, r) => a + r.ceiling.getSmall.errors, 0),
      concurrency: ok[0]?.ceiling.getSmall.concurrency ?? null,
    },
    pg: {
      p50Ms: med((r) => r.ceiling.pg.p50Ms),
      p99Ms: med((r) => r.ceiling.pg.p99Ms),
      serialQps: med((r) => r.ceiling.pg.serialQps),
      qps: med((r) => r.ceiling.pg.qps),
      concurrentP50Ms: med((r) => r.ceiling.pg.concurrentP50Ms),
      errors: ok.reduce((a, r) => a + r.ceiling.pg.errors, 0),
      connections: ok[0]?.ceiling.pg.connections ?? null,
    },
  };
}

export function renderCeiling(c, bigLabel) {
  if (!c.rounds) return `scale-out ceiling: ERROR ${c.errors.join('; ')}`;
  const line = (what, x) =>
    `- ${what}: stowage ${fmtNum(x.stowageMBps)} MB/s, S3 direct ${fmtNum(x.s3MBps)} MB/s, ` +
    `ratio ${x.ratio === null ? '–' : x.ratio.toFixed(2)}` +
    (x.ratios.length > 1 ? ` (rounds: ${x.ratios.join(', ')})` : '') +
    `, target >= ${x.target}: ${x.met === null ? '–' : x.met ? 'yes' : 'NO'}`;
  const g = c.s3GetSmall;
  const p = c.pg;
  return [
    `scale-out ceiling (s3rver and PostgreSQL without Stowage, medians of ${c.rounds} round(s)):`,
    line(`PUT ${bigLabel}`, c.putBig),
    line(`GET ${bigLabel}`, c.getBig),
    ...(c.getBigRedirect?.stowageMBps != null
      ? [
          line(
            `GET ${bigLabel} by presigned redirect (STOWAGE_S3_REDIRECT; direct: the same ` +
              'client fetching the presigned URL)',
            c.getBigRedirect,
          ),
        ]
      : []),
    `- S3 GetObject 4 KiB, ${g.concurrency} at once: ${fmtNum(g.okRps)} req/s, p50 ` +
      `${fmtNum(g.p50Ms, 2)} ms, p99 ${fmtNum(g.p99Ms, 2)} ms, errors ${g.errors}`,
    `- PostgreSQL SELECT 1: one at a time p50 ${fmtNum(p.p50Ms, 2)} ms, p99 ${fmtNum(p.p99Ms, 2)} ms ` +
      `(${fmtNum(p.serialQps)}/s); ${p.connections} connections ${fmtNum(p.qps)} queries/s ` +
      `(p50 ${fmtNum(p.concurrentP50Ms, 2)} ms), errors ${p.errors}`,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// the durable 1 GiB PUT floor (bench/lib/durable-floor.mjs)

/**
 * Per mode: the floor's MB/s and CPU seconds (medians over rounds) and its ratio to nginx's PUT
 * of the same round; for `durable`, also Stowage's PUT as a ratio to the floor of its round.
 */
/** Per-round ratios (null where a side is missing) with their median and range. */
export function spread(per) {
  const valid = per.filter((x) => x !== null);
  const m = median(valid);
  return {
    ratios: per.map((x) => (x === null ? null : round2(x))),
    ratio: m === null ? null : round2(m),
    ratioMin: valid.length ? round2(Math.min(...valid)) : null,
    ratioMax: valid.length ? round2(Math.max(...valid)) : null,
  };
}

export const over = (a, b) =>
  typeof a === 'number' && typeof b === 'number' && b > 0 ? a / b : null;

/** "0.91 [0.58–1.03]" (the range only with more than one round). */
export function fmtSpread(x) {
  if (x.ratio === null) return '–';
  return (
    x.ratio.toFixed(2) +
    (x.ratios.length > 1 ? ` [${x.ratioMin.toFixed(2)}–${x.ratioMax.toFixed(2)}]` : '')
  );
}

export function summarizeDurableFloor(rounds, modes) {
  const out = { rounds: rounds.filter((r) => r.floorBig && !r.floorBig.error).length, modes: {} };
  for (const mode of modes) {
    const mbps = (r) => r.floorBig?.[mode]?.mbps;
    out.modes[mode] = {
      mbps: median(rounds.map(mbps)),
      cpuSeconds: median(rounds.map((r) => r.floorBig?.[mode]?.cpuSeconds)),
      toNginx: spread(rounds.map((r) => over(mbps(r), r.servers.nginx?.putBig?.mbps))),
    };
  }
  if (out.modes.durable) {
    out.stowageToDurable = spread(
      rounds.map((r) => over(r.servers.stowage?.putBig?.mbps, r.floorBig?.durable?.mbps)),
    );
  }
  return out;
}

export function renderDurableFloor(f, bigLabel) {
  const range = fmtSpread;
  const lines = [
    `durable floor (one bare node:http process, PUT ${bigLabel}; durable = SHA-256 on the event ` +
      `loop, 1 MiB writes, fdatasync, rename, directory fsync; medians of ${f.rounds} round(s)):`,
  ];
  for (const [mode, m] of Object.entries(f.modes)) {
    lines.push(
      `- ${mode}: ${fmtNum(m.mbps)} MB/s = ${range(m.toNginx)}x nginx's PUT, ` +
        `${fmtNum(m.cpuSeconds, 2)} s of the process's CPU`,
    );
  }
  if (f.stowageToDurable) {
    lines.push(`- Stowage's PUT ${bigLabel} = ${range(f.stowageToDurable)}x the durable floor`);
  }
  return lines.join('\n');
}

/**
 * A floor measured in MB/s in every round with a row (`key`: where the round keeps it; `row`: the
 * row it bounds): MB/s (median over rounds), its ratio to nginx's row of the same round, and
 * Stowage's as a ratio to it.
 */
export function summarizeMbpsFloor(rounds, key, row) {
  const mbps = (r) => r[key]?.mbps;
  return {
    rounds: rounds.filter((r) => mbps(r) !== undefined).length,
    mbps: median(rounds.map(mbps)),
    toNginx: spread(rounds.map((r) => over(mbps(r), r.servers.nginx?.[row]?.mbps))),
    stowageToFloor: spread(rounds.map((r) => over(r.servers.stowage?.[row]?.mbps, mbps(r)))),
  };
}

/** The concurrent uploads' durable floor (one process per Stowage worker), against that row. */
export function summarizeDurableConcurrentFloor(rounds) {
  return summarizeMbpsFloor(rounds, 'floorConcurrent', 'putConcurrent');
}

export function renderDurableConcurrentFloor(f, concLabel, workers) {
  return (
    `durable floor, PUT ${concLabel} at once (${workers} bare node:http processes, each upload ` +
    `stored as in the 1 GiB floor's durable mode; medians of ${f.rounds} round(s)): ` +
    `${fmtNum(f.mbps)} MB/s = ` +
    `${fmtSpread(f.toNginx)}x nginx's; Stowage's = ${fmtSpread(f.stowageToFloor)}x the floor`
  );
}

/**
 * A floor measured with wrk in every round with a row (`key`: where the round keeps it; `row`:
 * the row it bounds): req/s and p99 (medians over rounds), its ratio to nginx's row of the same
 * round, and Stowage's as a ratio to it.
 */
function summarizeWrkFloor(rounds, key, row) {
  const ok = (r) => (r[key] && !r[key].error ? r[key] : null);
  return {
    rounds: rounds.filter(ok).length,
    okRps: median(rounds.map((r) => ok(r)?.okRps)),
    p99Ms: median(rounds.map((r) => ok(r)?.latencyMs?.p99)),
    non2xx: rounds.reduce((a, r) => a + (ok(r)?.non2xx ?? 0), 0),
    toNginx: spread(rounds.map((r) => over(ok(r)?.okRps, r.servers.nginx?.[row]?.okRps))),
    stowageToFloor: spread(rounds.map((r) => over(r.servers.stowage?.[row]?.okRps, ok(r)?.okRps))),
  };
}

/**
 * A durable 4 KiB PUT floor (bench/lib/floor.mjs; `key`: floorSmall, in a table of its own, or
 * floorSmallStowage, in Stowage's tables), against the 4 KiB PUT row.
 */
export function summarizeDurableSmallFloor(rounds, key = 'floorSmall') {
  return summarizeWrkFloor(rounds, key, 'putSmall');
}

/** The Fastify floor of the 4 KiB GET (bench/lib/fastify-floor.mjs), against that row. */
export function summarizeFastifyFloor(rounds) {
  return summarizeWrkFloor(rounds, 'floorFastify', 'getSmall');
}

export function renderFastifyFloor(f, workers) {
  return (
    `Fastify floor (${workers} workers, one route hijacking its reply, no storage; medians of ` +
    `${f.rounds} round(s)): GET 4 KiB ${fmtNum(f.okRps)} req/s = ${fmtSpread(f.toNginx)}x ` +
    `nginx's, p99 ${fmtNum(f.p99Ms, 1)} ms, non-2xx ${f.non2xx}; Stowage's GET 4 KiB = ` +
    `${fmtSpread(f.stowageToFloor)}x the floor`
  );
}

export function renderDurableSmallFloor(f, workers, schema = 'plain') {
  const tables =
    schema === 'stowage'
      ? "in Stowage's own tables, with the three statements of its small upload"
      : 'in a table of their own';
  return (
    `durable PUT floor (${workers} bare node:http workers storing each 4 KiB body in SQLite ` +
    `${tables}: SHA-256, one transaction per event-loop turn, the WAL fdatasync'd before the 201s; medians ` +
    `of ${f.rounds} round(s)): ${fmtNum(f.okRps)} req/s = ${fmtSpread(f.toNginx)}x nginx's PUT, ` +
    `p99 ${fmtNum(f.p99Ms, 1)} ms, non-2xx ${f.non2xx}; Stowage's PUT 4 KiB = ` +
    `${fmtSpread(f.stowageToFloor)}x the floor`
  );
}

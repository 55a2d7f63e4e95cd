// Shared by the benchmark modules: paths, units, logging, small helpers, and the registry of
// child processes and temporary data that cleanupSync() removes on exit, errors and signals.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = path.resolve(BENCH_DIR, '..');
export const TMP = path.join(BENCH_DIR, 'tmp');
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const HOST = '127.0.0.1';

export function log(msg) {
  const t = new Date().toISOString().slice(11, 19);
  process.stderr.write(`[bench ${t}] ${msg}\n`);
}

/** `NAME=VALUE` as [name, value] (the value may hold '='); `what` names the source in errors. */
export function envPair(text, what) {
  const at = text.indexOf('=');
  if (at < 1) throw new Error(`${what}: expected NAME=VALUE, got ${text}`);
  return [text.slice(0, at), text.slice(at + 1)];
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

export const round1 = (x) => Math.round(x * 10) / 10;
export const round2 = (x) => Math.round(x * 100) / 100;

export function findExecutable(name) {
  const dirs = (process.env.PATH || '').split(path.delimiter).filter(Boolean);
  for (const d of [...dirs, '/usr/sbin', '/sbin', '/usr/local/sbin']) {
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return null;
}

export function firstLine(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  const text = `${r.stdout || ''}\n${r.stderr || ''}`.trim();
  return text.split('\n')[0]?.trim() || 'unknown';
}

export function tail(file, bytes = 2000) {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.slice(-bytes);
  } catch {
    return '';
  }
}

export function syncDisks() {
  spawnSync('sync');
}

// ---------------------------------------------------------------------------------------------
// child processes and temporary data to remove on exit

const live = new Set();
let runDir = null;

/** Registers a child process (server or wrk) for cleanupSync(). */
export function track(proc) {
  live.add(proc);
}

export function untrack(proc) {
  live.delete(proc);
}

export function killGroup(proc, signal) {
  try {
    process.kill(-proc.pid, signal);
  } catch {
    // already gone
  }
}

/** Creates bench/tmp/run-XXXXXX for this run's server directories; cleanupSync() removes it. */
export function createRunDir() {
  fs.mkdirSync(TMP, { recursive: true });
  runDir = fs.mkdtempSync(path.join(TMP, 'run-'));
  return runDir;
}

export function cleanupSync() {
  for (const p of live) {
    if (p.detached) killGroup(p, 'SIGKILL');
    else {
      try {
        p.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  live.clear();
  if (runDir) {
    fs.rmSync(runDir, { recursive: true, force: true });
    runDir = null;
  }
}

/**
 * Run `node -e script ...args` in a process group of its own (tracked for cleanupSync) and wait
 * until it prints "ready"; stop() kills the group. A start that fails kills it too.
 */
export async function startScript(script, args, what) {
  const proc = spawn(process.execPath, ['-e', script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true, // its own process group: its children (cluster workers) go with it
  });
  track(proc);
  const stop = () => {
    proc.removeAllListeners('exit');
    killGroup(proc, 'SIGKILL');
    untrack(proc);
  };
  try {
    await new Promise((resolve, reject) => {
      proc.on('error', reject);
      proc.on('exit', (code) => reject(new Error(`${what} exited (${code})`)));
      proc.stdout.on('data', (d) => String(d).includes('ready') && resolve());
    });
  } catch (err) {
    stop();
    throw err;
  }
  return { stop };
}

// Resident memory of a server's process tree (the server and all its descendants, e.g.
// Stowage's workers), from /proc: summed VmRSS, RssAnon and PSS, and each process's own peak.

import fs from 'node:fs';
import { setInterval, clearInterval } from 'node:timers';
import { round1 } from './util.mjs';

export const RSS_INTERVAL_MS = 50;
/** smaps_rollup costs ~0.6 ms per process: PSS is read every PSS_EVERY samples only. */
const PSS_EVERY = 10;

export function descendants(rootPid) {
  const children = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue;
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(name));
  }
  const out = [];
  const queue = [rootPid];
  while (queue.length) {
    const kids = children.get(queue.shift()) || [];
    out.push(...kids);
    queue.push(...kids);
  }
  return out;
}

/** VmRSS, VmHWM (peak RSS) and RssAnon of one process in KiB, or null when it is gone. */
function statusKiB(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
    const kib = (field) => {
      const m = new RegExp(`${field}:\\s+(\\d+)\\s+kB`).exec(text);
      return m ? Number(m[1]) : 0;
    };
    return { rss: kib('VmRSS'), hwm: kib('VmHWM'), anon: kib('RssAnon') };
  } catch {
    return null;
  }
}

/** Proportional set size in KiB (shared pages split between the processes mapping them). */
function pssKiB(pid) {
  try {
    const m = /^Pss:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Resets the process's VmHWM to its current VmRSS (Linux >= 4.0); false when not allowed. */
function resetPeakRss(pid) {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Sum of VmRSS over a process and its descendants, sampled every RSS_INTERVAL_MS. Also tracks
 * the summed RssAnon and, every PSS_EVERY samples, the summed PSS: forked Node workers each map
 * the same node binary, which VmRSS counts every time. And each process's own peak: the larger
 * of its sampled VmRSS and its VmHWM, which start() resets, so that it covers only the sampled
 * period and also catches spikes between samples.
 */
export class RssSampler {
  constructor(pid) {
    this.root = pid;
    this.pids = [pid];
    this.peakKiB = 0;
    this.peakAnonKiB = 0;
    this.peakPssKiB = 0;
    /** pid -> peak KiB of that process alone */
    this.processPeakKiB = new Map();
    /** processes whose VmHWM predates start() (not reset), or null before start(): not used */
    this.staleHwm = null;
    this.samples = 0;
    this.timer = null;
  }
  refresh() {
    this.pids = [this.root, ...descendants(this.root)];
  }
  sample(forcePss = false) {
    if (this.samples % 20 === 0) this.refresh();
    const withPss = forcePss || this.samples % PSS_EVERY === 0;
    this.samples++;
    let sum = 0;
    let anon = 0;
    let pss = 0;
    let missing = false;
    for (const pid of this.pids) {
      const st = statusKiB(pid);
      if (st === null) {
        missing = true;
        continue;
      }
      sum += st.rss;
      anon += st.anon;
      if (withPss) pss += pssKiB(pid);
      const hwm = this.staleHwm === null || this.staleHwm.has(pid) ? 0 : st.hwm;
      const own = Math.max(this.processPeakKiB.get(pid) ?? 0, st.rss, hwm);
      this.processPeakKiB.set(pid, own);
    }
    if (missing) this.refresh();
    this.peakKiB = Math.max(this.peakKiB, sum);
    this.peakAnonKiB = Math.max(this.peakAnonKiB, anon);
    this.peakPssKiB = Math.max(this.peakPssKiB, pss);
    return sum;
  }
  start() {
    this.refresh();
    // processes started later have a VmHWM that covers only the sampled period anyway
    this.staleHwm = new Set(this.pids.filter((pid) => !resetPeakRss(pid)));
    this.sample();
    this.timer = setInterval(() => this.sample(), RSS_INTERVAL_MS);
    return this;
  }
  stop() {
    clearInterval(this.timer);
    this.sample(true);
    const perProcess = [...this.processPeakKiB].map(([pid, kib]) => [pid, round1(kib / 1024)]);
    return {
      peakMiB: round1(this.peakKiB / 1024),
      peakAnonMiB: round1(this.peakAnonKiB / 1024),
      peakPssMiB: round1(this.peakPssKiB / 1024),
      peakProcessMiB: Math.max(0, ...perProcess.map(([, mib]) => mib)),
      processPeaksMiB: Object.fromEntries(perProcess),
      hwmResetFailed: this.staleHwm?.size ?? 0,
      samples: this.samples,
      processes: this.pids.length,
    };
  }
}

/** Current memory of a process tree (one sample): summed VmRSS, RssAnon and PSS. */
export function treeRss(pid) {
  const s = new RssSampler(pid);
  s.refresh();
  const { peakMiB, peakAnonMiB, peakPssMiB } = s.stop();
  return { rssMiB: peakMiB, anonMiB: peakAnonMiB, pssMiB: peakPssMiB };
}

/**
 * The per-round peaks over several samplers' results (the big PUT and the big GET), as
 * { peakProcessRssMiB, peakRssMiB, peakAnonMiB, peakPssMiB } (null when none was sampled).
 */
export function combinedPeaks(...results) {
  const out = {};
  for (const [k, f] of [
    ['peakProcessRssMiB', 'peakProcessMiB'],
    ['peakRssMiB', 'peakMiB'],
    ['peakAnonMiB', 'peakAnonMiB'],
    ['peakPssMiB', 'peakPssMiB'],
  ]) {
    const peaks = results.map((x) => x?.[f]).filter((v) => v !== undefined);
    out[k] = peaks.length ? Math.max(...peaks) : null;
  }
  return out;
}

/**
 * CPU time (user + system, ms) used so far by a process and its descendants, from
 * /proc/PID/stat (clock ticks of 10 ms). On a busy machine a request's wall time includes
 * waiting for a CPU; its server CPU time does not.
 */
export function treeCpuMs(pid) {
  let ticks = 0;
  for (const p of [pid, ...descendants(pid)]) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    } catch {
      // exited
    }
  }
  return ticks * 10;
}

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface RunOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** stdout beyond this many bytes kills the program (a frame or a page is never that big). */
  maxOutput?: number;
}

export interface RunResult {
  stdout: Buffer;
  stderr: string;
}

/**
 * Run a program to completion with a time limit: killed (SIGKILL) when the limit passes, when
 * `signal` aborts, or when it writes more than `maxOutput` bytes. Rejects on a non-zero exit,
 * with the tail of its stderr in the message. No shell: arguments go to the program as they are.
 */
export function runProgram(cmd: string, args: string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new Error(`${path.basename(cmd)}: cancelled`));
      return;
    }
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const name = path.basename(cmd);
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderr = '';
    let failure: Error | null = null;
    const kill = (why: string) => {
      if (!failure) failure = new Error(`${name}: ${why}`);
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill(`timed out after ${opts.timeoutMs} ms`), opts.timeoutMs);
    const onAbort = () => kill('cancelled');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (c: Buffer) => {
      outBytes += c.length;
      if (opts.maxOutput !== undefined && outBytes > opts.maxOutput) {
        kill(`output larger than ${opts.maxOutput} bytes`);
        return;
      }
      out.push(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString('utf8')).slice(-4000);
    });
    const done = () => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (err) => {
      done();
      reject(failure ?? err);
    });
    child.on('close', (code, sig) => {
      done();
      if (failure) reject(failure);
      else if (code !== 0) {
        const last = stderr.trim().split('\n').slice(-3).join(' | ');
        reject(new Error(`${name} exited with ${code ?? sig}${last ? `: ${last}` : ''}`));
      } else resolve({ stdout: Buffer.concat(out, outBytes), stderr });
    });
  });
}

/** The absolute path of an executable on PATH, or null. */
export function findProgram(name: string, envPath = process.env.PATH ?? ''): string | null {
  for (const dir of envPath.split(path.delimiter).filter(Boolean)) {
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return null;
}

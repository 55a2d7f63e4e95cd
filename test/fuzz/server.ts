import { spawn, type ChildProcess } from 'node:child_process';
import { CLI, ROOT } from '../helpers.js';

/** Keeps the last `max` characters of a stream. */
class Tail {
  private text = '';
  constructor(private readonly max: number) {}
  push(s: string): void {
    this.text = (this.text + s).slice(-this.max);
  }
  get(): string {
    return this.text;
  }
}

/**
 * `stowage serve` from source in a child process (a crash is a crash, not a test-runner error),
 * restartable on the same data directory and environment. Its stdout (log lines at `error`) and
 * stderr are kept in short tails for the failure report.
 */
export class FuzzServer {
  child: ChildProcess | null = null;
  port = 0;
  url = '';
  /** How each process ended when it was not asked to: code/signal and its output tails. */
  readonly crashes: Array<{ at: number; how: string; stderr: string; stdout: string }> = [];
  private stdout = new Tail(6000);
  private stderr = new Tail(6000);
  private stopping = false;
  onCrash: (() => void) | null = null;

  constructor(
    private readonly dataDir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** The server's recent log lines (5xx are logged with their error at `error`). */
  recentLog(): string {
    return this.stdout.get();
  }

  async start(): Promise<void> {
    this.stdout = new Tail(6000);
    this.stderr = new Tail(6000);
    const child = spawn(
      process.execPath,
      [...CLI, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', this.dataDir],
      {
        cwd: ROOT,
        env: { ...process.env, STOWAGE_LOG_LEVEL: 'error', ...this.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    child.stderr!.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    let out = '';
    this.url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`server did not start: ${this.stderr.get()}`)),
        30_000,
      );
      child.stdout!.on('data', (d: Buffer) => {
        this.stdout.push(d.toString());
        if (out !== null) {
          out += d.toString();
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            out = '';
            resolve(m[1]!);
          }
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`server exited at start (${code ?? signal}): ${this.stderr.get()}`));
      });
      child.once('error', reject);
    });
    this.port = Number(new URL(this.url).port);
    // 'close', not 'exit': the crash's last words on stderr may still be on their way at exit.
    child.once('close', (code, signal) => {
      if (this.stopping || this.child !== child) return;
      this.crashes.push({
        at: Date.now(),
        how: signal ? `signal ${signal}` : `exit code ${code}`,
        stderr: this.stderr.get(),
        stdout: this.stdout.get(),
      });
      this.child = null;
      this.onCrash?.();
    });
  }

  get alive(): boolean {
    return this.child !== null;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.stopping = true;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

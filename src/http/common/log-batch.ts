/**
 * The JSON log's destination on stdout: the lines of one event-loop turn written together, in
 * one `write` at the end of the turn (or sooner past 16 KiB). Pino's default (an async write per
 * line when none is in flight) cost ~4 µs a request line on a 2-CPU VM; batched, ~2 µs
 * (bench/README.md, logs). A line waits at most for the end of the turn that wrote it; lines
 * still waiting when the process exits are written by its 'exit' handler.
 */

/** Flush before the batch grows past this many characters. */
const MAX_BATCH = 16 * 1024;

export interface BatchedDestination {
  /** Pino's side: one complete line (with its newline). */
  write(line: string): boolean;
  /** Write what is waiting now. */
  flush(): void;
}

export function batchedDestination(
  out: NodeJS.WritableStream = process.stdout,
  exitEmitter: NodeJS.EventEmitter = process,
): BatchedDestination {
  let pending = '';
  let scheduled = false;
  // A reader that went away (EPIPE: `stowage serve | head`) ends the logging, not the server.
  let broken = false;
  out.on('error', () => {
    broken = true;
    pending = '';
  });
  const flush = () => {
    scheduled = false;
    if (pending === '' || broken) return;
    const chunk = pending;
    pending = '';
    out.write(chunk);
  };
  const onTurnEnd = () => flush();
  exitEmitter.on('exit', flush);
  return {
    write(line: string): boolean {
      if (broken) return true;
      pending += line;
      if (pending.length >= MAX_BATCH) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(onTurnEnd);
      }
      return true;
    },
    flush,
  };
}

let stdout: BatchedDestination | null = null;

/** The process's one batched stdout (every app built in it shares stdout, and one exit handler). */
export function stdoutDestination(): BatchedDestination {
  return (stdout ??= batchedDestination());
}

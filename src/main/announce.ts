import os from 'node:os';
import type { Config } from '../config.js';

/** Levels at which an `info` line is written. */
const INFO_OR_LOWER = new Set(['info', 'debug', 'trace']);

/** Whether the configured logger writes `info` lines. */
export function logsInfo(config: Config): boolean {
  return INFO_OR_LOWER.has(config.logLevel);
}

/**
 * A line the server says on stdout outside a request, before its logger exists (a new instance is
 * being created): in the configured log format, so a JSON log stays JSON from its first line
 * (`msg` and `event` as pino writes them; pretty: the same formatter as the request lines). With
 * the logger quieter than info it is still printed, as plain text, for scripts and tests.
 */
export async function announce(
  config: Config,
  msg: string,
  fields: Record<string, unknown> = {},
): Promise<void> {
  if (!logsInfo(config)) {
    console.log(msg);
    return;
  }
  const entry = JSON.stringify({
    level: 30,
    time: Date.now(),
    pid: process.pid,
    hostname: os.hostname(),
    ...fields,
    msg,
  });
  if (config.logFormat === 'pretty') {
    const { formatLine } = await import('../http/common/pretty-log.js');
    console.log(formatLine(entry, process.stdout.isTTY === true));
  } else {
    console.log(entry);
  }
}

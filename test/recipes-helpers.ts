// Running the uploader recipes in tests: bash (asynchronously: the server answering them runs in
// the same process) and stand-ins for the desktop tools the Flameshot script calls.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { shellQuote } from '../web/src/lib/account/uploaders.js';

export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

/** bash by its path: the scripts may run with a PATH of stand-ins only. */
const BASH = execFileSync('sh', ['-c', 'command -v bash']).toString().trim();

export function bash(
  script: string,
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(BASH, ['-c', script], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

/**
 * A bin folder with stand-ins: `flameshot gui --raw` prints a PNG, `xclip -selection clipboard`
 * saves what it is given to `clipboard` (no wl-copy: the script falls back to xclip).
 */
export async function fakeTools(dir: string): Promise<string> {
  const bin = path.join(dir, 'bin');
  await fs.mkdir(bin, { recursive: true });
  await fs.writeFile(path.join(dir, 'shot.png'), PNG);
  await fs.writeFile(
    path.join(bin, 'flameshot'),
    `#!/bin/sh\n[ "$1 $2" = "gui --raw" ] || exit 2\ncat ${shellQuote(path.join(dir, 'shot.png'))}\n`,
    { mode: 0o755 },
  );
  await fs.writeFile(
    path.join(bin, 'xclip'),
    `#!/bin/sh\n[ "$1 $2" = "-selection clipboard" ] || exit 2\ncat > ${shellQuote(path.join(dir, 'clipboard'))}\n`,
    { mode: 0o755 },
  );
  // Only the tools the script needs, and ours first: no real wl-copy or xclip is reached.
  for (const tool of ['curl', 'grep', 'head', 'cut', 'cat', 'sh']) {
    const found = await bash(`command -v ${tool}`, dir);
    await fs.symlink(found.out.trim(), path.join(bin, tool)).catch(() => {});
  }
  return bin;
}

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pathToFileURL } from 'node:url';
import { ROOT, spawnServer, tempDir } from './helpers.js';

/** The CLI from source, runnable from any directory (tsx resolved from here, not from the cwd). */
const CLI_ANYWHERE = [
  '--import',
  pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href,
  path.join(ROOT, 'src/main/cli.ts'),
];

/**
 * The README's shell blocks, run as written against a real server: every ```sh block from the
 * walk-through on, in order, in one bash. Only two things are changed: the port (a free one
 * instead of 8080) and the `stowage` alias (the CLI from source instead of the build).
 */
function walkthroughScript(readme: string, base: string): string {
  const from = readme.indexOf('## Walk-through with curl');
  const blocks = [...readme.slice(from).matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const body = blocks
    .join('\n')
    .split('\n')
    .filter((line) => !line.startsWith('alias stowage='))
    .join('\n')
    .replaceAll('http://127.0.0.1:8080', base);
  return [
    'set -eo pipefail',
    `stowage() { ${JSON.stringify(process.execPath)} ${CLI_ANYWHERE.map((a) => JSON.stringify(a)).join(' ')} "$@"; }`,
    body,
  ].join('\n');
}

function bash(script: string, cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe("the README's curl walk-through", () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof spawnServer>>;
  let result: { code: number | null; out: string };

  beforeAll(async () => {
    dir = await tempDir('stowage-readme-');
    // The README's CLI lines use the default data folder, ./data, of the directory they run in.
    server = await spawnServer(path.join(dir, 'data'));
    const readme = await fs.readFile(path.join(ROOT, 'README.md'), 'utf8');
    result = await bash(walkthroughScript(readme, server.url), dir);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('runs to the end without a failing command or an error response', () => {
    expect(result.out).not.toMatch(/"success":false/);
    expect(result.code, result.out).toBe(0);
  });

  it('shows the uploaded bytes, a range, the attachment header, the user and the list', () => {
    expect(result.out).toContain('hello from stowage');
    expect(result.out).toMatch(/Content-Disposition: attachment; filename="hello.txt"/i);
    expect(result.out).toMatch(/"username":"bob"/);
    expect(result.out).toMatch(/"title":"Holiday","date_created":"[^"]+","file_count":1/);
  });

  it('runs the command-line client: a download, a folder upload and its listing', () => {
    expect(result.out).toMatch(/^downloaded\.txt: 19 B$/m);
    expect(result.out).toMatch(/^album\/one\.txt: \/me\/album\/one\.txt \(19 B\)$/m);
    expect(result.out).toMatch(/^-\t19 B\t[^\t]+\tone\.txt$/m);
  });

  it('runs the FileBin examples without a FileBin error', () => {
    expect(result.out).toMatch(/"status":"success","data":\{"url_id":"m-/);
    expect(result.out).not.toMatch(/"status":"error"/);
  });

  it('leaves a valid zip of the list and a ShareX file that carries a key', async () => {
    execFileSync('unzip', ['-t', path.join(dir, 'holiday.zip')]);
    const sxcu = JSON.parse(await fs.readFile(path.join(dir, 'stowage.sxcu'), 'utf8')) as {
      Headers?: { Authorization?: string };
      RequestURL: string;
    };
    expect(sxcu.RequestURL).toBe(`${server.url}/api/file/{filename}`);
    expect(sxcu.Headers?.Authorization).toMatch(/^Basic /);
  });
});

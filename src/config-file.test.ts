import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_ENV_NAMES, loadConfig } from './config.js';
import { findConfigFile, parseEnvFile, readConfigFile, userConfigFile } from './config-file.js';
import { configError } from './config.test-helpers.js';
import { loadInstance } from './main/instance.js';

describe('the configuration file (stowage.env)', () => {
  let tmp: string;
  const write = (rel: string, text: string) => {
    const file = path.join(tmp, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  };
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stowage-config-file-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('is looked up in order: --config, STOWAGE_CONFIG, the XDG file, the /etc file', () => {
    const etc = write('etc/stowage.env', '');
    const xdg = write('xdg/stowage/stowage.env', '');
    const flag = write('flag.env', '');
    const byEnv = write('env.env', '');
    const env = { XDG_CONFIG_HOME: path.join(tmp, 'xdg'), STOWAGE_CONFIG: byEnv };
    expect(findConfigFile(flag, env, etc)).toBe(flag);
    expect(findConfigFile(undefined, env, etc)).toBe(byEnv);
    expect(findConfigFile(undefined, { ...env, STOWAGE_CONFIG: '' }, etc)).toBe(xdg);
    // No XDG_CONFIG_HOME: ~/.config of HOME.
    const home = path.join(tmp, 'home');
    expect(userConfigFile({ HOME: home })).toBe(path.join(home, '.config/stowage/stowage.env'));
    expect(findConfigFile(undefined, { HOME: home }, etc)).toBe(etc);
    write('home/.config/stowage/stowage.env', '');
    expect(findConfigFile(undefined, { HOME: home }, etc)).toBe(userConfigFile({ HOME: home }));
    // None at all.
    expect(
      findConfigFile(undefined, { HOME: path.join(tmp, 'nobody') }, path.join(tmp, 'no')),
    ).toBe(null);
  });

  it('a file named by --config or STOWAGE_CONFIG must exist', () => {
    const missing = path.join(tmp, 'missing.env');
    expect(configError(() => findConfigFile(missing, {})).message).toBe(
      `invalid configuration: --config: no configuration file ${missing}`,
    );
    expect(configError(() => findConfigFile(undefined, { STOWAGE_CONFIG: missing })).setting).toBe(
      'STOWAGE_CONFIG',
    );
  });

  it('precedence: flags, then environment variables, then the file, then the defaults', () => {
    const file = write(
      'prec/stowage.env',
      'STOWAGE_PORT=7001\nSTOWAGE_HOST=10.0.0.1\nSTOWAGE_SITE_NAME=From the file\n',
    );
    const values = readConfigFile(file, CONFIG_ENV_NAMES);
    const c = loadConfig(
      { port: 7003 },
      { STOWAGE_PORT: '7002', STOWAGE_HOST: '10.0.0.2' },
      values,
    );
    expect(c.port).toBe(7003);
    expect(c.host).toBe('10.0.0.2');
    expect(c.siteName).toBe('From the file');
    expect(c.workers).toBe(1);
    // An empty environment variable does not hide the file's value.
    expect(loadConfig({}, { STOWAGE_PORT: '' }, values).port).toBe(7001);
  });

  it('relative paths are relative to the file, not to the working directory', () => {
    const file = write('rel/conf/stowage.env', 'STOWAGE_DATA_DIR=../data\nSTOWAGE_WEB_DIR=web\n');
    const c = loadConfig({}, {}, readConfigFile(file, CONFIG_ENV_NAMES));
    expect(c.dataDir).toBe(path.join(tmp, 'rel/data'));
    expect(c.webDir).toBe(path.join(tmp, 'rel/conf/web'));
    expect(path.resolve('../data')).not.toBe(c.dataDir);
    const abs = write('abs.env', 'STOWAGE_DATA_DIR=/srv/stowage\n');
    expect(loadConfig({}, {}, readConfigFile(abs, CONFIG_ENV_NAMES)).dataDir).toBe('/srv/stowage');
    // A relative --data-dir or variable stays relative to the working directory.
    expect(loadConfig({ dataDir: 'x' }, {}, readConfigFile(file, CONFIG_ENV_NAMES)).dataDir).toBe(
      path.resolve('x'),
    );
  });

  it('parses comments, blank lines, export, and quoted values', () => {
    const text = [
      '# a comment',
      '',
      '  STOWAGE_SITE_NAME="My \\"files\\""  ',
      "export STOWAGE_PUBLIC_URL='https://files.example.org'",
      'STOWAGE_HOST = 0.0.0.0',
      'AWS_ACCESS_KEY_ID=abc=def',
      'STOWAGE_PORT=1',
      'STOWAGE_PORT=2',
    ].join('\r\n');
    expect(parseEnvFile(text, 'f').map((e) => [e.name, e.value, e.line])).toEqual([
      ['STOWAGE_SITE_NAME', 'My "files"', 3],
      ['STOWAGE_PUBLIC_URL', 'https://files.example.org', 4],
      ['STOWAGE_HOST', '0.0.0.0', 5],
      ['AWS_ACCESS_KEY_ID', 'abc=def', 6],
      ['STOWAGE_PORT', '1', 7],
      ['STOWAGE_PORT', '2', 8],
    ]);
    const values = readConfigFile(write('parse.env', text), CONFIG_ENV_NAMES);
    expect(values.values.STOWAGE_PORT).toBe('2');
    expect(values.other).toEqual({ AWS_ACCESS_KEY_ID: 'abc=def' });
    expect(values.values.AWS_ACCESS_KEY_ID).toBeUndefined();
  });

  it('a malformed line is one error naming the file and the line', () => {
    const bad = (text: string) => {
      const file = write('bad.env', text);
      return configError(() => readConfigFile(file, CONFIG_ENV_NAMES)).message;
    };
    const file = path.join(tmp, 'bad.env');
    expect(bad('STOWAGE_PORT=1\n\nnot a setting\n')).toBe(
      `invalid configuration: ${file}:3: expected NAME=value, got "not a setting"`,
    );
    expect(bad('# x\n=value\n')).toBe(
      `invalid configuration: ${file}:2: expected NAME=value, got "=value"`,
    );
    expect(bad('STOWAGE_SITE_NAME="open\n')).toMatch(`${file}:1: unterminated quoted value`);
    expect(bad('STOWAGE_DATADIR=/srv\n')).toBe(
      `invalid configuration: ${file}:1: unknown setting STOWAGE_DATADIR`,
    );
    expect(bad('STOWAGE_CONFIG=/x\n')).toMatch(`${file}:1: STOWAGE_CONFIG cannot be set`);
    // A bad value names the variable and where the file set it.
    const values = readConfigFile(write('port.env', '\nSTOWAGE_PORT=eighty\n'), CONFIG_ENV_NAMES);
    expect(configError(() => loadConfig({}, {}, values)).message).toBe(
      `invalid configuration: STOWAGE_PORT (${path.join(tmp, 'port.env')}:2): expected an integer from 0 to 65535, got "eighty"`,
    );
  });

  it('loadInstance: the file found, its other variables in the environment unless set there', () => {
    const file = write(
      'inst/stowage.env',
      'STOWAGE_DATA_DIR=d\nAWS_REGION_TEST_A=from-file\nAWS_REGION_TEST_B=from-file\n',
    );
    const env: NodeJS.ProcessEnv = { STOWAGE_CONFIG: file, AWS_REGION_TEST_B: 'real' };
    const i = loadInstance({}, undefined, env);
    expect(i.file).toBe(file);
    expect(i.config.dataDir).toBe(path.join(tmp, 'inst/d'));
    expect(i.label).toBe(path.join(tmp, 'inst/d'));
    expect(env.AWS_REGION_TEST_A).toBe('from-file');
    expect(env.AWS_REGION_TEST_B).toBe('real');
  });
});

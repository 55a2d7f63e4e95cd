import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('log settings', () => {
  it('format: pretty on a terminal, JSON otherwise, unless STOWAGE_LOG_FORMAT says', () => {
    expect(loadConfig({}, {}, true).logFormat).toBe('pretty');
    expect(loadConfig({}, {}, false).logFormat).toBe('json');
    expect(loadConfig({}, { STOWAGE_LOG_FORMAT: 'json' }, true).logFormat).toBe('json');
    expect(loadConfig({}, { STOWAGE_LOG_FORMAT: 'Pretty' }, false).logFormat).toBe('pretty');
    expect(
      loadConfig({ logFormat: 'json' }, { STOWAGE_LOG_FORMAT: 'pretty' }, true).logFormat,
    ).toBe('json');
  });

  it('refuses an unknown format or level, naming the setting', () => {
    expect(() => loadConfig({}, { STOWAGE_LOG_FORMAT: 'xml' }, false)).toThrow(
      /STOWAGE_LOG_FORMAT/,
    );
    expect(() => loadConfig({}, { STOWAGE_LOG_LEVEL: 'loud' }, false)).toThrow(/STOWAGE_LOG_LEVEL/);
  });

  it('level: info by default, as set otherwise', () => {
    expect(loadConfig({}, {}, false).logLevel).toBe('info');
    expect(loadConfig({}, { STOWAGE_LOG_LEVEL: 'warn' }, false).logLevel).toBe('warn');
  });
});

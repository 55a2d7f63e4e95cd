import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('log settings', () => {
  it('format: pretty on a terminal, JSON otherwise, unless STOWAGE_LOG_FORMAT says', () => {
    expect(loadConfig({}, {}, null, true).logFormat).toBe('pretty');
    expect(loadConfig({}, {}, null, false).logFormat).toBe('json');
    expect(loadConfig({}, { STOWAGE_LOG_FORMAT: 'json' }, null, true).logFormat).toBe('json');
    expect(loadConfig({}, { STOWAGE_LOG_FORMAT: 'Pretty' }, null, false).logFormat).toBe('pretty');
    expect(
      loadConfig({ logFormat: 'json' }, { STOWAGE_LOG_FORMAT: 'pretty' }, null, true).logFormat,
    ).toBe('json');
  });

  it('refuses an unknown format or level, naming the setting', () => {
    expect(() => loadConfig({}, { STOWAGE_LOG_FORMAT: 'xml' }, null, false)).toThrow(
      /STOWAGE_LOG_FORMAT/,
    );
    expect(() => loadConfig({}, { STOWAGE_LOG_LEVEL: 'loud' }, null, false)).toThrow(
      /STOWAGE_LOG_LEVEL/,
    );
  });

  it('level: info by default, as set otherwise', () => {
    expect(loadConfig({}, {}, null, false).logLevel).toBe('info');
    expect(loadConfig({}, { STOWAGE_LOG_LEVEL: 'warn' }, null, false).logLevel).toBe('warn');
  });
});

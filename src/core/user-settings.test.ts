import { describe, expect, it } from 'vitest';
import type { Principal } from './accounts.js';
import { CoreError } from './errors.js';
import type { UserRecord, UserRepository } from './records.js';
import {
  EMBED_DOMAINS_INPUT_MAX,
  EMBED_DOMAINS_MAX,
  isEmbedDomain,
  parseEmbedDomains,
  UserSettingsService,
} from './user-settings.js';

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof CoreError ? err.code : 'other';
  }
}

describe('parseEmbedDomains', () => {
  it('takes host names separated by spaces, commas or line breaks; lowercased, once each', () => {
    expect(
      parseEmbedDomains('Example.com  *.cdn.example.org,blog.example.net\nexample.com'),
    ).toEqual(['example.com', '*.cdn.example.org', 'blog.example.net']);
    expect(parseEmbedDomains('')).toEqual([]);
    expect(parseEmbedDomains('   ')).toEqual([]);
    expect(parseEmbedDomains('xn--bcher-kva.example 192.0.2.1')).toEqual([
      'xn--bcher-kva.example',
      '192.0.2.1',
    ]);
  });

  it.each([
    ['a.com; script-src *'],
    ['a.com;'],
    ['a.com\r\nX: y'],
    ["'unsafe-inline'"],
    ["'self'"],
    ['https://a.com'],
    ['a.com/path'],
    ['a.com:8080'],
    ['*'],
    ['localhost'],
    ['*.com.'],
    ['a..com'],
    ['-a.com'],
    ['a-.com'],
    ['a_b.com'],
    ['"a.com"'],
    ['a.com\u0000'],
    ['bücher.example'],
    ['*.*.a.com'],
    ['a.*.com'],
    [`${'a'.repeat(64)}.com`],
  ])('refuses %j with invalid_domain_name', (input) => {
    expect(codeOf(() => parseEmbedDomains(input))).toBe('invalid_domain_name');
  });

  it('caps the count and the length of the input', () => {
    const many = Array.from({ length: EMBED_DOMAINS_MAX }, (_, i) => `d${i}.example.com`);
    expect(parseEmbedDomains(many.join(' '))).toHaveLength(EMBED_DOMAINS_MAX);
    expect(codeOf(() => parseEmbedDomains([...many, 'one-more.example.com'].join(' ')))).toBe(
      'invalid_domain_name',
    );
    const long = ' '.repeat(EMBED_DOMAINS_INPUT_MAX) + 'a.com';
    expect(codeOf(() => parseEmbedDomains(long))).toBe('invalid_domain_name');
  });

  it('a message shows only printable ASCII of the refused token', () => {
    try {
      parseEmbedDomains('ok.com \u00e9vil.com');
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toContain('"?vil.com"');
    }
  });

  it('isEmbedDomain: a name of up to 253 characters', () => {
    const label = 'a'.repeat(63);
    const name = [label, label, label, 'a'.repeat(61)].join('.');
    expect(name.length).toBe(253);
    expect(isEmbedDomain(name)).toBe(true);
    expect(isEmbedDomain(name + 'a')).toBe(false);
  });
});

describe('UserSettingsService', () => {
  const user: UserRecord = {
    id: 'u1',
    username: 'alice',
    passwordHash: null,
    isAdmin: false,
    createdAt: 0,
    email: null,
    // A row written by other means: the names that are not host names never come out.
    embedDomains: ['good.example', "bad.example; script-src 'unsafe-inline'"],
    skipFileViewer: true,
  };
  const writes: unknown[] = [];
  const repo = {
    findUserById: async (id: string) => (id === user.id ? user : null),
    setSharing: async (id: string, s: unknown) => {
      writes.push(s);
      return id === user.id;
    },
  } as Partial<UserRepository> as UserRepository;
  const service = new UserSettingsService(repo);
  const principal = (accessLevel: Principal['accessLevel'], userId = 'u1'): Principal => ({
    userId,
    username: 'alice',
    isAdmin: false,
    keyHash: 'h',
    keyId: 'k',
    accessLevel,
  });

  it('ofOwner: the stored settings, re-checked; anonymous files get the defaults', async () => {
    expect(await service.ofOwner('u1')).toEqual({
      skipFileViewer: true,
      embedDomains: ['good.example'],
    });
    expect(await service.ofOwner(null)).toEqual({ skipFileViewer: false, embedDomains: [] });
    expect(await service.ofOwner('gone')).toEqual({ skipFileViewer: false, embedDomains: [] });
  });

  it('set: a full-level key; only the settings given; refuses a name that is not one', async () => {
    writes.length = 0;
    await service.set(principal('full'), { skipFileViewer: false });
    await service.set(principal('full'), { embedDomains: ['a.example'] });
    expect(writes).toEqual([{ skipFileViewer: false }, { embedDomains: ['a.example'] }]);
    await expect(service.set(principal('apikey'), { skipFileViewer: true })).rejects.toMatchObject({
      code: 'insufficient_access',
    });
    await expect(
      service.set(principal('full'), { embedDomains: ['a.example; frame-src *'] }),
    ).rejects.toMatchObject({ code: 'invalid_domain_name' });
    await expect(
      service.set(principal('full', 'gone'), { skipFileViewer: true }),
    ).rejects.toMatchObject({ code: 'user_not_found' });
    expect(writes).toHaveLength(3);
  });
});

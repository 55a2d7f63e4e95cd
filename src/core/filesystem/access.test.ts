import { describe, expect, it } from 'vitest';
import type { Principal } from '../accounts.js';
import { sharedPermissions } from './access.js';
import type { FsNodeRecord } from './types.js';

const node = (over: Partial<FsNodeRecord> = {}): FsNodeRecord => ({
  id: 'n',
  ownerId: 'owner',
  parentId: null,
  path: '/pub',
  name: 'pub',
  type: 'dir',
  depth: 1,
  createdAt: 0,
  modifiedAt: 0,
  updatedAt: 0,
  mode: 0o755,
  size: 0,
  blobKey: null,
  blobLocation: null,
  mimeType: null,
  shareId: 'AbCd1234',
  linkPermissions: null,
  userPermissions: null,
  passwordPermissions: null,
  properties: null,
  ...over,
});

const user = (username: string): Principal => ({
  userId: `id-${username}`,
  username,
  isAdmin: false,
  keyHash: 'h',
  keyId: 'k',
  accessLevel: 'full',
});

describe('shared node permissions', () => {
  it('lets anyone with the link read, and nothing more, by default', () => {
    expect(sharedPermissions(node(), { principal: null })).toEqual({
      owner: false,
      read: true,
      write: false,
      delete: false,
    });
  });

  it('adds what a named user or a password is given, to that caller only', () => {
    const n = node({
      linkPermissions: { read: false },
      userPermissions: { bob: { write: true } },
      passwordPermissions: { hunter2: { read: true, delete: true } },
    });
    expect(sharedPermissions(n, { principal: null }).read).toBe(false);
    expect(sharedPermissions(n, { principal: user('bob') })).toMatchObject({
      read: true,
      write: true,
      delete: false,
    });
    expect(sharedPermissions(n, { principal: user('eve') }).read).toBe(false);
    expect(sharedPermissions(n, { principal: null, password: 'hunter2' })).toMatchObject({
      read: true,
      delete: true,
      write: false,
    });
    expect(sharedPermissions(n, { principal: null, password: 'hunter3' }).read).toBe(false);
  });

  it('makes an owner grant every right', () => {
    const n = node({ userPermissions: { bob: { owner: true } } });
    expect(sharedPermissions(n, { principal: user('bob') })).toEqual({
      owner: true,
      read: true,
      write: true,
      delete: true,
    });
  });
});

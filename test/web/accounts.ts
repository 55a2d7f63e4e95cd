import crypto from 'node:crypto';
import type { BrowserContext } from 'playwright-core';
import { expect } from 'vitest';
import { basic } from '../helpers.js';

/** The password of every account the browser tests make. */
export const PASSWORD = 'correct horse battery';

/** Register `username` and log in through the API: the session's key. */
export async function registerKey(url: string, username = 'owner'): Promise<string> {
  const form = new URLSearchParams({ username, password: PASSWORD });
  const reg = await fetch(`${url}/api/user/register`, { method: 'POST', body: form });
  expect(reg.status).toBe(201);
  const login = await fetch(`${url}/api/user/login`, { method: 'POST', body: form });
  expect(login.status).toBe(201);
  return ((await login.json()) as { auth_key: string }).auth_key;
}

/** A new account, registered and logged in through the context (its cookie): the user name. */
export async function registerAndLogin(context: BrowserContext, url: string): Promise<string> {
  const username = `u${crypto.randomBytes(5).toString('hex')}`;
  const form = { username, password: PASSWORD };
  const reg = await context.request.post(`${url}/api/user/register`, { form });
  expect(reg.status()).toBe(201);
  const login = await context.request.post(`${url}/api/user/login`, { form });
  expect(login.status()).toBe(201);
  return username;
}

/** `PUT /api/file/{name}`, anonymous or with `key`: the 201's body. */
export async function putFile<T extends { id: string } = { id: string }>(
  url: string,
  name: string,
  body: Buffer | string,
  key?: string,
): Promise<T> {
  const r = await fetch(`${url}/api/file/${encodeURIComponent(name)}`, {
    method: 'PUT',
    body: typeof body === 'string' ? body : new Uint8Array(body),
    headers: key ? { Authorization: basic(key) } : {},
  });
  expect(r.status).toBe(201);
  return (await r.json()) as T;
}

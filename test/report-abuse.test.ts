import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../src/core/moderation/audit.js';
import { basic, createUserWithKey, startServer, type TestServer } from './helpers.js';

let s: TestServer;
let key: string;

beforeAll(async () => {
  // Client addresses from X-Forwarded-For: each test speaks as its own reporter.
  s = await startServer({ trustProxy: true, reportRateLimit: 3 });
  key = await createUserWithKey(s, 'uploader');
});
afterAll(() => s.close());

const upload = async (body = `content ${Math.random()}`): Promise<string> => {
  const r = await fetch(`${s.url}/api/file/a.txt`, {
    method: 'PUT',
    body,
    headers: { authorization: basic(key) },
  });
  expect(r.status).toBe(201);
  return ((await r.json()) as { id: string }).id;
};

const report = (id: string, fields: Record<string, string>, ip = '203.0.113.1') =>
  fetch(`${s.url}/api/file/${id}/report_abuse`, {
    method: 'POST',
    body: new URLSearchParams(fields),
    headers: { 'x-forwarded-for': ip },
  });

describe('POST /api/file/{id}/report_abuse', () => {
  it('stores a report with the type, description, address and time', async () => {
    const id = await upload();
    const r = await report(id, { type: 'gore', description: 'nasty' }, '203.0.113.10');
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({
      success: true,
      value: 'ok',
      message: 'The requested action was successfully performed',
    });
    const { reports } = await s.app.runtime.core.reports.list({ status: 'open' });
    const mine = reports.find((x) => x.fileId === id)!;
    expect(mine).toMatchObject({
      type: 'gore',
      description: 'nasty',
      reporterIp: '203.0.113.10',
      status: 'open',
    });
    expect(Math.abs(mine.createdAt - Date.now())).toBeLessThan(60_000);
  });

  it('refuses a second report of the same file from the same client: resource_already_exists', async () => {
    const id = await upload();
    expect((await report(id, { type: 'gore' }, '203.0.113.11')).status).toBe(200);
    const again = await report(id, { type: 'terrorism' }, '203.0.113.11');
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ success: false, value: 'resource_already_exists' });
    // Another client may report it.
    expect((await report(id, { type: 'gore' }, '203.0.113.12')).status).toBe(200);
  });

  it('refuses reports of a blocked file: file_already_blocked', async () => {
    const id = await upload();
    await s.app.runtime.core.blocks.block(id, 'malware', 'checked', CLI_ACTOR);
    const r = await report(id, { type: 'malware' }, '203.0.113.13');
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ success: false, value: 'file_already_blocked' });
  });

  it('answers enum_parse_failed with the allowed values for an unknown type', async () => {
    const id = await upload();
    const r = await report(id, { type: 'boring' }, '203.0.113.14');
    expect(r.status).toBe(422);
    const body = (await r.json()) as { value: string; extra: { allowed_values: string[] } };
    expect(body.value).toBe('enum_parse_failed');
    expect(body.extra.allowed_values).toEqual(
      expect.arrayContaining(['terrorism', 'gore', 'child_abuse', 'malware', 'copyright', 'other']),
    );
  });

  it('answers multiple_errors for several bad fields, missing_field without a type', async () => {
    const id = await upload();
    const r = await report(id, { type: 'boring', description: 'x'.repeat(10_001) }, '203.0.113.15');
    expect(r.status).toBe(400);
    const body = (await r.json()) as { value: string; errors: { value: string }[] };
    expect(body.value).toBe('multiple_errors');
    expect(body.errors.map((e) => e.value).sort()).toEqual([
      'enum_parse_failed',
      'string_out_of_range',
    ]);
    const missing = await report(id, {}, '203.0.113.15');
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({
      value: 'missing_field',
      extra: { field: 'type' },
    });
  });

  it('answers not_found for a file that does not exist', async () => {
    const r = await report('nOsuCh01', { type: 'gore' }, '203.0.113.16');
    expect(r.status).toBe(404);
    expect(await r.json()).toMatchObject({ success: false, value: 'not_found' });
  });

  it('limits reports per client address per hour', async () => {
    const ids = await Promise.all([upload(), upload(), upload(), upload()]);
    for (const id of ids.slice(0, 3))
      expect((await report(id, { type: 'other' }, '203.0.113.17')).status).toBe(200);
    const over = await report(ids[3]!, { type: 'other' }, '203.0.113.17');
    expect(over.status).toBe(429);
    expect(await over.json()).toMatchObject({ value: 'ip_rate_limit_reached' });
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

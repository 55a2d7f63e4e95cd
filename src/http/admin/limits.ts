import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import type { Core } from '../../core/index.js';
import type { LimitChanges } from '../../core/limits/index.js';
import type { UserRecord } from '../../core/records.js';
import { readForm } from '../common/form.js';
import { PdFailure, sendPdError, toPdError } from '../pixeldrain/errors.js';
import { FORM_MAX_BYTES, sendJson } from '../pixeldrain/respond.js';
import { errors, form, idParam, json, str, TAGS } from '../pixeldrain/schemas.js';
import { actorOf, theAdmin } from './guard.js';

const LIMITS = {
  type: 'object',
  description: 'null = the instance default, -1 = unlimited',
  properties: {
    storage_quota: { type: ['integer', 'null'] },
    daily_upload_quota: { type: ['integer', 'null'] },
    max_files: { type: ['integer', 'null'] },
  },
};

/** An account's limits as the admin API shows them (null = instance default, -1 = unlimited). */
export function limitsJson(u: UserRecord) {
  return {
    storage_quota: u.storageQuota ?? null,
    daily_upload_quota: u.dailyUploadQuota ?? null,
    max_files: u.maxFiles ?? null,
  };
}

/** An instance default as the admin API shows it: -1 for unlimited (configured as 0). */
const orUnlimited = (n: number) => (n > 0 ? n : -1);

/** A form limit: '' = back to the default (null), -1 = unlimited, else a non-negative integer. */
function limitField(fields: Record<string, string>, name: string): number | null | undefined {
  const raw = fields[name];
  if (raw === undefined) return undefined;
  const v = raw.trim();
  if (v === '' || v === 'default') return null;
  if (v === 'unlimited') return -1;
  if (!/^(-1|\d{1,16})$/.test(v) || !Number.isSafeInteger(Number(v))) {
    throw new PdFailure({
      status: 422,
      value: 'integer_parse_failed',
      message: `${name} must be an integer (-1 = unlimited, empty = the instance default)`,
      extra: { field: name },
    });
  }
  return Number(v);
}

function boolField(fields: Record<string, string>, name: string): boolean | undefined {
  const raw = fields[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'on', 'yes'].includes(v)) return true;
  if (['false', '0', 'off', 'no'].includes(v)) return false;
  throw new PdFailure({
    status: 422,
    value: 'bool_parse_failed',
    message: `${name} must be true or false`,
    extra: { field: name },
  });
}

/** POST /api/admin/users/{id}/limits and GET /api/admin/limits. */
export function registerAdminLimits(app: FastifyInstance, core: Core, config: Config): void {
  app.post(
    '/users/:id/limits',
    {
      schema: {
        summary: 'Set an account’s limits and expiry exemption (admins only)',
        description:
          'Only the fields sent change. storage_quota and daily_upload_quota in bytes, max_files a count: empty = the instance default, -1 = unlimited. expiry_exempt: the account’s files never expire for inactivity. Audit-logged with `reason`.',
        tags: [TAGS.admin],
        params: idParam('User id'),
        body: form({
          storage_quota: str('Bytes stored (empty: default; -1: unlimited)'),
          daily_upload_quota: str('Bytes uploaded per 24 hours (empty: default; -1: unlimited)'),
          max_files: str('Files kept (empty: default; -1: unlimited)'),
          expiry_exempt: str('true or false'),
          reason: str('Why (audit log)'),
        }),
        response: {
          200: json(
            {
              type: 'object',
              properties: {
                success: { type: 'boolean' },
                user: {
                  type: 'object',
                  properties: {
                    id: { type: 'string' },
                    username: { type: 'string' },
                    limits: LIMITS,
                    expiry_exempt: { type: 'boolean' },
                  },
                },
              },
            },
            'Changed',
          ),
          ...errors({
            401: 'authentication_required',
            403: 'forbidden',
            404: 'user_not_found',
            422: 'integer_parse_failed, bool_parse_failed (extra.field)',
          }),
        },
      },
    },
    async (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
      try {
        const admin = theAdmin(req);
        const { fields } = await readForm(req.raw, reply.raw, FORM_MAX_BYTES);
        const changes: LimitChanges = {};
        const storage = limitField(fields, 'storage_quota');
        const daily = limitField(fields, 'daily_upload_quota');
        const files = limitField(fields, 'max_files');
        const exempt = boolField(fields, 'expiry_exempt');
        if (storage !== undefined) changes.storageQuota = storage;
        if (daily !== undefined) changes.dailyUploadQuota = daily;
        if (files !== undefined) changes.maxFiles = files;
        if (exempt !== undefined) changes.expiryExempt = exempt;
        const user = await core.limits.accounts.set(
          actorOf(admin),
          req.params.id,
          changes,
          fields.reason ?? '',
        );
        return sendJson(reply, {
          success: true,
          user: {
            id: user.id,
            username: user.username,
            limits: limitsJson(user),
            expiry_exempt: user.expiryExempt ?? false,
          },
        });
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );

  app.get(
    '/limits',
    {
      schema: {
        summary: 'The instance’s default limits (admins only)',
        description: 'Sizes in bytes; -1 = unlimited.',
        tags: [TAGS.admin],
        response: {
          200: json(
            {
              type: 'object',
              properties: {
                registration: { type: 'string', enum: ['open', 'closed', 'invite'] },
                anonymous_uploads: { type: 'boolean' },
                storage_quota: { type: 'integer' },
                daily_upload_quota: { type: 'integer' },
                max_files: { type: 'integer' },
                anonymous_daily_uploads_per_ip: { type: 'integer' },
                anonymous_daily_upload_bytes_per_ip: { type: 'integer' },
                max_file_size: { type: 'integer' },
                file_expiry_days: { type: 'integer', description: '0 = files never expire' },
              },
            },
            'The defaults',
          ),
          ...errors({ 401: 'authentication_required', 403: 'forbidden' }),
        },
      },
    },
    async (req: FastifyRequest, reply: FastifyReply) => {
      try {
        return sendJson(reply, {
          registration: config.registration,
          anonymous_uploads: config.allowAnonymousUploads,
          storage_quota: orUnlimited(config.userStorageQuota),
          daily_upload_quota: orUnlimited(config.userDailyUpload),
          max_files: orUnlimited(config.userMaxFiles),
          anonymous_daily_uploads_per_ip: orUnlimited(config.anonDailyUploads),
          anonymous_daily_upload_bytes_per_ip: orUnlimited(config.anonDailyUploadBytes),
          max_file_size: config.maxFileSize,
          file_expiry_days: config.fileExpiryDays,
        });
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import type { Core } from '../../core/index.js';
import { readForm } from '../common/form.js';
import { callerOf } from './auth.js';
import { sendPdError, toPdError } from './errors.js';
import { FORM_MAX_BYTES, OK, sendJson, setAuthCookie } from './respond.js';
import { AUTH, AUTH_ERRORS, errors, form, json, str, TAGS } from './schemas.js';

/** GET /api/user (UserInfo), PUT /api/user (username, email, password_new), DELETE /api/user. */
export function registerUserAccount(app: FastifyInstance, core: Core, config: Config): void {
  const secure = config.publicUrl?.startsWith('https:') ?? false;
  const common = { tags: [TAGS.account], security: AUTH };
  const get = {
    ...common,
    summary: 'Your account',
    response: { 200: json('UserInfo', 'The caller’s account'), ...errors(AUTH_ERRORS) },
  };
  const put = {
    ...common,
    summary: 'Change your account',
    description: 'Only the fields sent change.',
    body: form({
      username: str('New user name'),
      email: str('New e-mail address'),
      password_new: str('New password'),
    }),
    response: {
      200: json('Ok', 'Changed'),
      ...errors({
        400: 'multiple_errors, username_already_registered, email_address_already_registered, error_reading_input',
        ...AUTH_ERRORS,
        413: 'request_too_large',
      }),
    },
  };
  const del = {
    ...common,
    summary: 'Delete your account',
    description: 'Its keys go too; the cookie is cleared.',
    response: { 200: json('Ok', 'Deleted'), ...errors(AUTH_ERRORS) },
  };

  app.get('/user', { schema: get }, async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      const principal = await callerOf(core, req);
      const user = await core.accounts.userById(principal.userId);
      const usage = await core.files.usageOf(user.id);
      // Field names and order as pixeldrain's UserInfo (spec 4.3); JDownloader and rclone read
      // `email` (a string, never null), `subscription.*` and the usage fields.
      return sendJson(reply, {
        id: user.id,
        username: user.username,
        email: user.email ?? '',
        email_verified: false,
        otp_enabled: false,
        subscription: {
          id: '',
          name: 'Stowage',
          type: '',
          file_size_limit: config.maxFileSize,
          file_expiry_days: 0,
          storage_space: -1,
          price_per_tb_storage: 0,
          price_per_tb_bandwidth: 0,
          monthly_transfer_cap: -1,
          file_viewer_branding: false,
          filesystem_access: false,
          filesystem_storage_limit: 0,
        },
        storage_space_used: usage.bytes,
        filesystem_storage_used: 0,
        file_count: usage.count,
        filesystem_node_count: 0,
        is_admin: user.isAdmin,
        balance_micro_eur: 0,
        hotlinking_enabled: true,
        monthly_transfer_cap: 0,
        monthly_transfer_used: 0,
        file_viewer_branding: null,
        file_embed_domains: '',
        skip_file_viewer: false,
        affiliate_user_name: '',
        checkout_country: '',
        checkout_name: '',
        checkout_provider: '',
      });
    } catch (err) {
      return sendPdError(reply, toPdError(err));
    }
  });

  app.put('/user', { schema: put }, async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      const principal = await callerOf(core, req);
      const { fields } = await readForm(req.raw, reply.raw, FORM_MAX_BYTES);
      await core.accounts.updateUser(principal, {
        username: fields.username,
        email: fields.email,
        password: fields.password_new,
      });
      return sendJson(reply, OK);
    } catch (err) {
      return sendPdError(reply, toPdError(err));
    }
  });

  app.delete('/user', { schema: del }, async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      const principal = await callerOf(core, req);
      await core.accounts.deleteUser(principal);
      setAuthCookie(req, reply, null, secure);
      return sendJson(reply, OK);
    } catch (err) {
      return sendPdError(reply, toPdError(err));
    }
  });
}

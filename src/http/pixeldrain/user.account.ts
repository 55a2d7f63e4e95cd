import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import { requireAccess } from '../../core/access.js';
import type { Core } from '../../core/index.js';
import { readForm } from '../common/form.js';
import { callerOf } from './auth.js';
import { sendPdError, toPdError } from './errors.js';
import { clientInfo, FORM_MAX_BYTES, OK, sendJson, setAuthCookie } from './respond.js';
import { AUTH, AUTH_ERRORS, errors, form, json, str, TAGS } from './schemas.js';
import { readSettingsFields, SETTINGS_ERRORS, SETTINGS_FORM } from './user.settings.js';

/**
 * GET /api/user (UserInfo), PUT /api/user (username, email, password_new; with old_password; and
 * the settings of user.settings.ts),
 * PUT /api/user/password (old_password, new_password), DELETE /api/user. Changes and deletion
 * need a full-level key (the core decides).
 */
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
    description:
      'Only the fields sent change; any change needs a full-level key, and changes of username, e-mail or password the current password in old_password (unless the account has none). The settings (hotlinking_enabled, skip_file_viewer, embed_domains) need no password. Every field is checked before anything changes; pixeldrain settings this server has no feature for are refused unless they hold the value GET /api/user reports. Fields pixeldrain does not know are ignored.',
    body: form({
      username: str('New user name'),
      email: str('New e-mail address'),
      password_new: str('New password'),
      old_password: str('The current password'),
      ...SETTINGS_FORM,
    }),
    response: {
      200: json('Ok', 'Changed'),
      ...errors({
        400: `multiple_errors (missing_field old_password, …), password_incorrect, username_already_registered, email_address_already_registered, error_reading_input, ${SETTINGS_ERRORS}`,
        ...AUTH_ERRORS,
        403: 'forbidden (the key’s access level is too low)',
        413: 'request_too_large',
        429: 'ip_rate_limit_reached (Retry-After)',
      }),
    },
  };
  const putPassword = {
    ...common,
    summary: 'Change your password',
    description: 'As pixeldrain’s API client: the current password proves it is you.',
    body: form(
      { old_password: str('The current password'), new_password: str('The new password') },
      ['old_password', 'new_password'],
    ),
    response: {
      200: json('Ok', 'Changed'),
      ...errors({
        400: 'multiple_errors (missing_field, string_out_of_range), password_incorrect, error_reading_input',
        ...AUTH_ERRORS,
        403: 'forbidden (the key’s access level is too low)',
        413: 'request_too_large',
        429: 'ip_rate_limit_reached (Retry-After)',
      }),
    },
  };
  const del = {
    ...common,
    summary: 'Delete your account',
    description: 'Its keys go too; the cookie is cleared. A full-level key only.',
    response: {
      200: json('Ok', 'Deleted'),
      ...errors({ ...AUTH_ERRORS, 403: 'forbidden (the key’s access level is too low)' }),
    },
  };

  app.get('/user', { schema: get }, async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      const principal = await callerOf(core, req);
      requireAccess(principal, 'read_own');
      const user = await core.accounts.userById(principal.userId);
      const [usage, nodes] = await Promise.all([
        core.files.usageOf(user.id),
        core.filesystem.usageOf(user.id),
      ]);
      // The account's real limits (-1 = unlimited; file_expiry_days 0 = files never expire).
      const limits = core.limits.quota.limitsOf(user);
      const expiryDays = user.expiryExempt ? 0 : core.limits.inactivity.days;
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
          file_expiry_days: expiryDays,
          storage_space: limits.storage,
          price_per_tb_storage: 0,
          price_per_tb_bandwidth: 0,
          monthly_transfer_cap: -1,
          file_viewer_branding: false,
          filesystem_access: true,
          filesystem_storage_limit: limits.storage,
        },
        // Files and the filesystem's file nodes both use the account's space (the quotas count
        // both); the filesystem's share apart.
        storage_space_used: usage.bytes + nodes.bytes,
        filesystem_storage_used: nodes.bytes,
        file_count: usage.count,
        filesystem_node_count: nodes.count,
        is_admin: user.isAdmin,
        balance_micro_eur: 0,
        hotlinking_enabled: user.hotlinkingEnabled ?? false,
        monthly_transfer_cap: 0,
        monthly_transfer_used: 0,
        file_viewer_branding: null,
        file_embed_domains: (user.embedDomains ?? []).join(' '),
        skip_file_viewer: user.skipFileViewer ?? false,
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
      // Every settings field is checked before anything changes.
      const { hotlinking, sharing } = readSettingsFields(fields);
      await core.accounts.updateUser(
        principal,
        { username: fields.username, email: fields.email, password: fields.password_new },
        { currentPassword: fields.old_password, client: clientInfo(req) },
      );
      if (hotlinking !== null) {
        await core.accounts.setHotlinking(principal, hotlinking);
        core.rules.forgetAccount(principal.userId);
      }
      if (Object.keys(sharing).length > 0) await core.userSettings.set(principal, sharing);
      return sendJson(reply, OK);
    } catch (err) {
      return sendPdError(reply, toPdError(err));
    }
  });

  app.put(
    '/user/password',
    { schema: putPassword },
    async (req: FastifyRequest, reply: FastifyReply) => {
      try {
        const principal = await callerOf(core, req);
        const { fields } = await readForm(req.raw, reply.raw, FORM_MAX_BYTES);
        await core.accounts.updateUser(
          principal,
          { password: fields.new_password ?? '' },
          {
            currentPassword: fields.old_password,
            client: clientInfo(req),
            passwordField: 'new_password',
          },
        );
        return sendJson(reply, OK);
      } catch (err) {
        return sendPdError(reply, toPdError(err));
      }
    },
  );

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

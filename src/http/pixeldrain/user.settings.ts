import { invalidInput } from '../../core/errors.js';
import { parseEmbedDomains, type SharingSettings } from '../../core/user-settings.js';
import { PdFailure, toPdError, type PdError } from './errors.js';
import { str, type Schema } from './schemas.js';

/**
 * The settings fields of PUT /api/user (spec 4.4) besides the account's name, e-mail and
 * password: read and checked here, all of them before anything changes.
 *
 * - `hotlinking_enabled`, `skip_file_viewer`: true/false (also 1/0, on/off, yes/no).
 * - `embed_domains`: host names, space-separated (commas too); '' removes them all.
 * - pixeldrain settings this server has no feature for (`subscription`, `transfer_cap`,
 *   `affiliate_user_name`, `checkout_*`): the value GET /api/user reports (nothing to change:
 *   '' or 0) is accepted, any other is refused, never silently ignored.
 */
export interface SettingsFields {
  hotlinking: boolean | null;
  sharing: Partial<SharingSettings>;
}

/** The fields PUT /api/user documents beyond username, email, password_new, old_password. */
export const SETTINGS_FORM: Record<string, Schema> = {
  hotlinking_enabled: str(
    'true or false: your files may be hotlinked (the hotlink rule leaves them alone)',
  ),
  skip_file_viewer: str('true or false: links to your files’ viewer go straight to the file'),
  embed_domains: str(
    'Host names (space-separated; `*.example.com` for subdomains) that may show your files’ viewer in a frame; empty: none',
  ),
  subscription: str('No plans here: only empty is accepted (else not_enough_credit_for_prepaid)'),
  transfer_cap: str('No transfer caps here: only 0 is accepted'),
  affiliate_user_name: str('No affiliates here: only empty is accepted'),
  checkout_country: str('No checkout here: only empty is accepted'),
  checkout_name: str('No checkout here: only empty is accepted'),
  checkout_provider: str('No checkout here: only empty is accepted'),
};

export const SETTINGS_ERRORS =
  'invalid_domain_name (embed_domains), not_enough_credit_for_prepaid (subscription), multiple_errors (bool_parse_failed, integer_parse_failed, integer_out_of_range for transfer_cap, string_out_of_range for affiliate_user_name and checkout_*)';

/** A form boolean: true/false (also 1/0, on/off, yes/no); null when absent or anything else. */
function parseFlag(v: string | undefined): boolean | null {
  if (v === undefined) return null;
  const t = v.trim().toLowerCase();
  if (['true', '1', 'on', 'yes'].includes(t)) return true;
  if (['false', '0', 'off', 'no'].includes(t)) return false;
  return null;
}

const boolParseFailed = (field: string): PdError => ({
  status: 422,
  value: 'bool_parse_failed',
  message: 'A boolean field contains a value which is not true or false',
  extra: { field },
});

const onlyEmpty = (field: string, len: number): PdError => ({
  status: 422,
  value: 'string_out_of_range',
  message: 'This server has no such feature: only an empty value is accepted',
  extra: { field, min_len: 0, max_len: 0, len },
});

const UNSUPPORTED_STRINGS = [
  'affiliate_user_name',
  'checkout_country',
  'checkout_name',
  'checkout_provider',
];

/** Every problem of the unsupported fields and the booleans, as one multiple_errors. */
function fieldErrors(fields: Record<string, string>): PdError[] {
  const errors: PdError[] = [];
  for (const f of ['hotlinking_enabled', 'skip_file_viewer']) {
    if (fields[f] !== undefined && parseFlag(fields[f]) === null) errors.push(boolParseFailed(f));
  }
  const cap = fields.transfer_cap?.trim();
  if (cap !== undefined && cap !== '') {
    if (!/^-?\d+$/.test(cap)) {
      errors.push({
        status: 422,
        value: 'integer_parse_failed',
        message: 'An integer field contains a value which is not an integer',
        extra: { field: 'transfer_cap' },
      });
    } else if (Number(cap) !== 0) {
      errors.push({
        status: 422,
        value: 'integer_out_of_range',
        message: 'This server has no monthly transfer caps: only 0 (no cap) is accepted',
        extra: { field: 'transfer_cap', min_val: 0, max_val: 0 },
      });
    }
  }
  for (const f of UNSUPPORTED_STRINGS) {
    const v = fields[f];
    if (v !== undefined && v.trim() !== '') errors.push(onlyEmpty(f, v.length));
  }
  return errors;
}

/** The settings of a PUT /api/user form; throws the pixeldrain error of the first problem. */
export function readSettingsFields(fields: Record<string, string>): SettingsFields {
  if (fields.subscription !== undefined && fields.subscription.trim() !== '') {
    throw new PdFailure({
      status: 400,
      value: 'not_enough_credit_for_prepaid',
      message:
        'Prepaid plans need account credit: this server has no plans and accounts have no credit',
    });
  }
  const errors = fieldErrors(fields);
  if (errors.length > 0) throw new PdFailure({ ...toPdError(invalidInput([])), errors });
  const sharing: Partial<SharingSettings> = {};
  const skip = parseFlag(fields.skip_file_viewer);
  if (skip !== null) sharing.skipFileViewer = skip;
  if (fields.embed_domains !== undefined)
    sharing.embedDomains = parseEmbedDomains(fields.embed_domains);
  return { hotlinking: parseFlag(fields.hotlinking_enabled), sharing };
}

import type { FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import type { FileRecord } from '../../core/records.js';
import type { Admission, Availability, Downloader } from '../../core/traffic/index.js';
import { principalOf } from './auth.js';
import type { PdError } from './errors.js';

/** Pixeldrain's refusals of a download (spec 2.4, seed `GET /file/{id}`), by availability value. */
export const RULE_ERRORS: Record<Exclude<Availability, ''> | 'captcha_failed', PdError> = {
  file_rate_limited_captcha_required: {
    status: 403,
    value: 'file_rate_limited_captcha_required',
    message:
      'This file is using too much bandwidth. For anonymous downloads a captcha is required now. The captcha entry is available on the download page',
  },
  ip_download_limited_captcha_required: {
    status: 403,
    value: 'ip_download_limited_captcha_required',
    message:
      'Your IP address has downloaded too many files today. To continue downloading a captcha is required now. The captcha entry is available on the download page',
  },
  ip_transfer_limited_captcha_required: {
    status: 403,
    value: 'ip_transfer_limited_captcha_required',
    message:
      'Your IP address has downloaded too much data today. To continue downloading a captcha is required now. The captcha entry is available on the download page',
  },
  hotlink_detected: {
    status: 403,
    value: 'hotlink_detected',
    message:
      'We have detected the use of hotlinking for this download. Hotlinking is only allowed for the uploader and for accounts the operator allows it',
  },
  download_limit_exceeded: {
    status: 403,
    value: 'download_limit_exceeded',
    message: 'Your IP address has downloaded too many files today. Try again tomorrow',
  },
  transfer_limit_exceeded: {
    status: 403,
    value: 'transfer_limit_exceeded',
    message: 'Your IP address has downloaded too much data today. Try again tomorrow',
  },
  virus_detected_captcha_required: {
    status: 403,
    value: 'virus_detected_captcha_required',
    message:
      'This file has been marked as malware by our scanning systems. To avoid infecting other systems through automated downloads we require you to enter a captcha. The captcha entry is available on the download page',
  },
  unavailable_for_legal_reasons: {
    status: 451,
    value: 'unavailable_for_legal_reasons',
    message:
      'This file has been marked as malware by our scanning systems and cannot be downloaded',
    extra: { type: 'malware' },
  },
  captcha_failed: {
    status: 424,
    value: 'recpatcha_failed',
    message: 'The captcha response is not valid or has been used already. Please try again',
  },
};

/** The 451 of a file blocked by an admin (RULE_ERRORS' 451 is an infected file's, `block` mode). */
const ADMIN_BLOCKED: PdError = {
  status: 451,
  value: 'unavailable_for_legal_reasons',
  message:
    'This file has been blocked by the administrators of this server and can no longer be downloaded',
};

/**
 * The refusal as pixeldrain answers it. A 451 for a file blocked by an admin says so and carries
 * `extra.type`, its abuse type; otherwise (an infected file in `block` mode) RULE_ERRORS' own.
 */
export function ruleError(
  refused: Exclude<Admission['refused'], ''>,
  files: readonly FileRecord[],
): PdError {
  const e = RULE_ERRORS[refused];
  if (refused !== 'unavailable_for_legal_reasons') return e;
  const type = files.find((f) => f.abuseType)?.abuseType;
  return type ? { ...ADMIN_BLOCKED, extra: { type } } : e;
}

/** FileInfo's `availability` and `availability_message` for one downloader. */
export interface AvailabilityFields {
  availability: string;
  availability_message: string;
}

export function availabilityFields(
  a: Availability,
  /** The file: a 451 of an admin block has its own message. */
  file?: FileRecord,
): AvailabilityFields {
  return {
    availability: a,
    availability_message: a ? ruleError(a, file ? [file] : []).message : '',
  };
}

/**
 * What this downloader would get for the file now, as FileInfo fields (the viewer passes them to
 * its captcha dialog). `userId`: the viewer's account, or null.
 */
export async function availabilityOf(
  core: Core,
  file: FileRecord,
  who: { client: string; userId?: string | null },
): Promise<AvailabilityFields> {
  return availabilityFields(
    await core.rules.availability(file, { client: who.client, userId: who.userId ?? null }),
    file,
  );
}

/**
 * The downloader of this request: its IP, and its account resolved only if a rule asks (a bad or
 * stale key downloads as anonymous, as before the rules).
 */
export function downloaderOf(core: Core, req: FastifyRequest): Downloader {
  let user: Promise<string | null> | null = null;
  return {
    client: req.ip,
    userId: () =>
      (user ??= principalOf(core, req, 'read').then(
        (p) => p?.userId ?? null,
        () => null,
      )),
  };
}

/** `recaptcha_response` of the query, if any (pixeldrain's parameter name). */
export function captchaOf(req: FastifyRequest): string | null {
  const q = req.query as Record<string, unknown> | undefined;
  const v = q?.recaptcha_response;
  return typeof v === 'string' && v.length > 0 ? v : null;
}

/** Whether this request begins a download (a GET with no range, or one from byte 0). */
export function startsDownload(req: FastifyRequest): boolean {
  if (req.method !== 'GET') return false;
  const range = req.headers.range;
  return range === undefined || /^\s*bytes\s*=\s*0\s*-/i.test(range);
}

type Admitted = { ok: true; admission: Admission } | { ok: false; error: PdError };

/** Admit a download: the admission, or the error to answer. */
export async function admitDownload(
  core: Core,
  req: FastifyRequest,
  file: FileRecord,
  who: Downloader = downloaderOf(core, req),
): Promise<Admitted> {
  return admitted(
    await core.rules.admit(file, who, { captcha: captchaOf(req), starts: startsDownload(req) }),
    file,
  );
}

/**
 * `admitDownload` when the rules can answer without waiting (the common case: `admitNow`), with
 * the client's address alone; null: call `admitDownload`.
 */
export function admitDownloadNow(
  core: Core,
  req: FastifyRequest,
  file: FileRecord,
): Admitted | null {
  const admission = core.rules.admitNow(
    file,
    { client: req.ip },
    { captcha: captchaOf(req), starts: startsDownload(req) },
  );
  return admission && admitted(admission, file);
}

function admitted(admission: Admission, file: FileRecord): Admitted {
  if (admission.refused) return { ok: false, error: ruleError(admission.refused, [file]) };
  return { ok: true, admission };
}

/**
 * Admit every file of a zip (multi-id downloads, list zips): the first refusal answers for all
 * (a zip with a rate-limited file in it is refused as that file would be).
 */
export async function admitZip(
  core: Core,
  req: FastifyRequest,
  files: readonly FileRecord[],
): Promise<{ ok: true; admissions: Map<string, Admission> } | { ok: false; error: PdError }> {
  const r = await core.rules.admitMany(files, downloaderOf(core, req), {
    captcha: captchaOf(req),
  });
  if (r.refused) return { ok: false, error: ruleError(r.refused, files) };
  return { ok: true, admissions: r.admissions };
}

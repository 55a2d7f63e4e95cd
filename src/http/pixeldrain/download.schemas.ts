import { binary, empty, errors, str } from './schemas.js';

/** GET /api/file/{id}: the bytes (Chevereto's image download answers the same). */
export const DOWNLOAD_QUERY = {
  type: 'object',
  properties: {
    download: str('Present (any value, even empty): Content-Disposition attachment'),
    recaptcha_response: str(
      'A solved captcha (base64 ALTCHA payload, from GET /api/misc/captcha/challenge): lifts the hotlink rule and per-IP limits for this client and file for an hour; used once',
    ),
  },
};

export const DOWNLOAD_HEADERS = {
  type: 'object',
  properties: {
    range: str('One byte range, e.g. bytes=0-99, bytes=100-, bytes=-100'),
    'if-range': str('ETag or Last-Modified date: the range only if the file still matches'),
    'if-none-match': str('ETag (quoted SHA-256): 304 when it matches'),
    'if-modified-since': str('HTTP date: 304 when the file is not newer'),
  },
};

const BYTES = { schema: { type: 'string', format: 'binary' } };

export const DOWNLOAD_RESPONSES = {
  200: {
    description: 'The file (its own Content-Type), or a zip for several ids',
    content: { 'application/octet-stream': BYTES, 'application/zip': BYTES },
  },
  206: binary('application/octet-stream', 'The requested byte range (Content-Range)'),
  304: empty('Not modified'),
  ...errors({
    403: 'file_rate_limited_captcha_required (downloads over STOWAGE_HOTLINK_FACTOR × views), ip_download_limited_captcha_required, ip_transfer_limited_captcha_required (per-IP limits), hotlink_detected, download_limit_exceeded, transfer_limit_exceeded (the same with the captcha off)',
    404: 'not_found (extra.file names a missing id of several)',
    416: 'range_not_satisfiable, with Content-Range: bytes */size',
    422: 'string_out_of_range (more than 1000 ids)',
    424: 'recpatcha_failed (recaptcha_response invalid, expired or used already; sic)',
  }),
};

// When the viewer shows a file as taken down (web/src/lib/viewer/types.ts): an admin block, a
// refusal for legal reasons, but not a malware flag that a captcha or ownership lets through.
import { describe, expect, it } from 'vitest';
import { downloadRefused, isBlocked } from '../../web/src/lib/viewer/types.js';

describe('the viewer’s blocked state', () => {
  it('an admin block: blocked for everyone; the bytes refused except to admins', () => {
    const stranger = {
      abuse_type: 'doxing',
      availability: 'unavailable_for_legal_reasons',
      block_reason: 'an address',
    };
    expect(isBlocked(stranger)).toBe(true);
    expect(downloadRefused(stranger)).toBe(true);
    const admin = { ...stranger, availability: '' };
    expect(isBlocked(admin)).toBe(true);
    expect(downloadRefused(admin)).toBe(false);
    // Blocked with the type malware by an admin (the page carries its reason).
    expect(isBlocked({ abuse_type: 'malware', availability: '', block_reason: '' })).toBe(true);
    // FileInfo from the API (no block_reason) of a block: its availability or its type says so.
    expect(isBlocked({ abuse_type: 'gore', availability: '' })).toBe(true);
  });

  it('malware found by the scanner: a captcha for strangers, its owner downloads; not blocked', () => {
    const stranger = { abuse_type: 'malware', availability: 'virus_detected_captcha_required' };
    expect(isBlocked(stranger)).toBe(false);
    expect(downloadRefused(stranger)).toBe(false);
    expect(isBlocked({ abuse_type: 'malware', availability: '' })).toBe(false);
    // The scanner's block mode: refused for legal reasons, so blocked.
    const refused = { abuse_type: 'malware', availability: 'unavailable_for_legal_reasons' };
    expect(isBlocked(refused)).toBe(true);
    expect(downloadRefused(refused)).toBe(true);
  });

  it('an ordinary file, or one behind the hotlink captcha, is not blocked', () => {
    expect(isBlocked({ abuse_type: '', availability: '' })).toBe(false);
    expect(isBlocked({})).toBe(false);
    const hotlinked = { abuse_type: '', availability: 'file_rate_limited_captcha_required' };
    expect(isBlocked(hotlinked)).toBe(false);
    expect(downloadRefused(hotlinked)).toBe(false);
  });
});

// The abuse types of pixeldrain's report_abuse (spec 2.8) and of a block, in plain words.

import type { AbuseType } from '../../../src/core/moderation/abuse-types.js';

// The list itself is the server's (the values it accepts), shared rather than copied.
export { ABUSE_TYPES, type AbuseType } from '../../../src/core/moderation/abuse-types.js';

export const ABUSE_LABELS: Record<AbuseType, string> = {
  terrorism: 'Terrorism or violent extremism',
  gore: 'Gore: graphic violence or death',
  child_abuse: 'Child sexual abuse',
  zoophilia: 'Sexual content involving animals',
  revenge_porn: 'Intimate images shared without consent (revenge porn)',
  doxing: 'Personal information published without consent (doxing)',
  malware: 'Malware or a virus',
  copyright: 'Copyright infringement',
  other: 'Something else',
};

/** An abuse type in words; an unknown value as it is. */
export function abuseLabel(type: string): string {
  return (ABUSE_LABELS as Record<string, string>)[type] ?? type;
}

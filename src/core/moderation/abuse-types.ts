/** The report types pixeldrain's viewer offers (spec 2.1), plus copyright and other. */
export const ABUSE_TYPES = [
  'terrorism',
  'gore',
  'child_abuse',
  'zoophilia',
  'revenge_porn',
  'doxing',
  'malware',
  'copyright',
  'other',
] as const;
export type AbuseType = (typeof ABUSE_TYPES)[number];

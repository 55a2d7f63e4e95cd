// One admin action as the pages describe it: the dialog asks for a reason (optional, written to
// the audit log), and for the abuse type when the action blocks a file.

export interface AdminAction {
  title: string;
  /** What happens, in words (the file's or user's name is shown as text). */
  text?: string;
  /** The confirm button's label. */
  confirm: string;
  danger?: boolean;
  /** Ask for the abuse type, starting with this one. */
  abuseType?: string;
  /** The reason is also shown on the file's page (blocks). */
  publicReason?: boolean;
  /** Offer "also block the files with these bytes" (POST /api/admin/hashes block_files). */
  blockFiles?: boolean;
  run: (fields: { reason: string; type: string; block_files: boolean }) => Promise<unknown>;
  /** After success (reload the view). */
  done?: () => void | Promise<void>;
}

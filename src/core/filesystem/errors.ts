/**
 * The filesystem API's errors, named by pixeldrain's `value`s (spec §5): rclone and other clients
 * decide what to do from them, so the dialect passes the code through and only adds the status.
 */
export type FsErrorCode =
  /** The bucket (a shared id) does not exist. */
  | 'not_found'
  | 'path_not_found'
  | 'permission_denied'
  | 'node_is_a_directory'
  | 'node_is_not_a_directory'
  | 'node_already_exists'
  | 'directory_not_empty'
  | 'cannot_modify_root_dir'
  | 'circular_dependency'
  /** A name over 255 bytes. */
  | 'name_too_long'
  /** A path over 4095 bytes. */
  | 'path_too_long'
  /** Deeper than 64 levels. */
  | 'too_many_nested_levels'
  /** More than 10,000 nodes in one directory. */
  | 'too_many_children'
  /** A path component that cannot be a name: `.`, `..`, or one with a NUL byte. */
  | 'invalid_path'
  | 'invalid_action'
  | 'json_parse_failed'
  /** A permission object naming a user that does not exist. */
  | 'user_not_found'
  /** `import` named a file that does not exist (or is not the caller's). */
  | 'list_file_not_found'
  | 'search_not_a_directory'
  | 'search_term_too_short'
  | 'search_term_too_long'
  | 'log_timespan_too_long'
  /** An input value that does not parse (a time, a mode, a boolean). */
  | 'invalid_value';

export class FsError extends Error {
  constructor(
    readonly code: FsErrorCode,
    message?: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(message ?? code);
    this.name = 'FsError';
  }
}

import { FsError, type FsErrorCode } from '../../../core/filesystem/index.js';
import { toPdError, type PdError } from '../errors.js';

/** Statuses of the filesystem's error values (spec §5); the value is the core's code. */
const STATUS: Record<FsErrorCode, number> = {
  not_found: 404,
  path_not_found: 404,
  permission_denied: 400,
  node_is_a_directory: 400,
  node_is_not_a_directory: 400,
  node_already_exists: 400,
  directory_not_empty: 400,
  cannot_modify_root_dir: 400,
  circular_dependency: 400,
  name_too_long: 422,
  path_too_long: 422,
  too_many_nested_levels: 422,
  too_many_children: 422,
  invalid_path: 422,
  invalid_action: 422,
  json_parse_failed: 422,
  user_not_found: 404,
  list_file_not_found: 422,
  search_not_a_directory: 400,
  search_term_too_short: 422,
  search_term_too_long: 422,
  log_timespan_too_long: 422,
  invalid_value: 422,
};

const MESSAGE: Partial<Record<FsErrorCode, string>> = {
  not_found: 'The entity you requested could not be found',
  path_not_found: 'The requested path was not found',
  permission_denied: 'You do not have permission to perform this action',
};

/** A filesystem error in pixeldrain's shape; anything else as the rest of the API answers it. */
export function toFsPdError(err: unknown): PdError {
  if (err instanceof FsError) {
    return {
      status: STATUS[err.code],
      value: err.code,
      message: MESSAGE[err.code] ?? err.message,
      ...(err.extra ? { extra: err.extra } : {}),
    };
  }
  return toPdError(err);
}

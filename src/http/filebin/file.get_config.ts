import { MAX_FILES_PER_REQUEST, MAX_INPUT_VARS, type FbContext } from './respond.js';

/**
 * file/get_config (public): our real limits. A request may carry max_files_per_request files of
 * upload_max_size each, so that is the request limit too (we set no other).
 */
export async function getConfig({ config }: FbContext): Promise<unknown> {
  return {
    upload_max_size: config.maxFileSize,
    max_files_per_request: MAX_FILES_PER_REQUEST,
    max_input_vars: MAX_INPUT_VARS,
    request_max_size: Math.min(Number.MAX_SAFE_INTEGER, config.maxFileSize * MAX_FILES_PER_REQUEST),
  };
}

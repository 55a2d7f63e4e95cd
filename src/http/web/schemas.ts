/** OpenAPI entries of the web UI's routes (documented like every route; they return HTML). */
export const WEB_TAG = 'Web pages';

const html = (description: string) => ({
  description,
  content: { 'text/html': { schema: { type: 'string' } } },
});

const param = (name: string, description: string) => ({
  type: 'object',
  properties: { [name]: { type: 'string', description } },
  required: [name],
});

export const page = (summary: string, description?: string, params?: Record<string, unknown>) => ({
  summary,
  ...(description ? { description } : {}),
  tags: [WEB_TAG],
  ...(params ? { params } : {}),
  response: { 200: html('The page'), 404: html('Not found page') },
});

const FILE_VIEWER_PAGE = page(
  'File viewer',
  'Preview, details and actions of one file, or of several comma-separated ids as a virtual list. `User-Agent: Wget/*` gets 303 to /api/file/{id}, and so does everyone for one file whose owner set skip_file_viewer. The first script sets `window.viewer_data` (pixeldrain’s contract). `Content-Security-Policy: frame-ancestors` is the site itself plus, for one file, the owner’s embed_domains.',
  param('ids', 'File id, or ids separated by commas'),
);
export const FILE_VIEWER = {
  ...FILE_VIEWER_PAGE,
  response: {
    ...FILE_VIEWER_PAGE.response,
    451: html('The page of a file blocked by the administrators (abuse_type and block_reason set)'),
    303: { description: 'To /api/file/{id}: a Wget client, or the owner set skip_file_viewer' },
  },
};

export const LIST_VIEWER = page(
  'List viewer',
  'Gallery and item view of a list. `User-Agent: Wget/*` gets 303 to /api/list/{id}/zip. `Content-Security-Policy: frame-ancestors` is the site itself plus the list owner’s embed_domains.',
  param('id', 'List id'),
);

export const DIRECTORY = page(
  'Directory browser',
  'A directory or file of the filesystem API: `/d/me/…` is the logged-in user’s tree (303 to /login otherwise), `/d/{id}/…` a shared node. The first script sets `window.initial_node` to the path’s stat (as `GET /api/filesystem/{path}?stat`).',
  param('*', 'The bucket (`me` or a shared id) and the path, each component percent-encoded'),
);

export const ACCOUNT = page(
  'Account pages',
  'Files, lists, API keys and settings of the logged-in user; 303 to /login when logged out.',
  param('section', 'files, lists, keys or settings'),
);

export const LOGOUT = {
  summary: 'Log out',
  description: 'Revokes the session key of the `pd_auth_key` cookie, clears it, 303 to /.',
  tags: [WEB_TAG],
  response: { 303: { description: 'To the home page' } },
};

export const ASSET = {
  summary: 'Web UI asset',
  description: 'Hashed JS, CSS and images of the pages: cached for a year, gzipped when accepted.',
  tags: [WEB_TAG],
  params: param('name', 'Hashed file name'),
  response: {
    200: { description: 'The file', content: { '*/*': { schema: { type: 'string' } } } },
    404: { description: 'No such asset' },
  },
};

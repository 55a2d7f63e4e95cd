// Which previewer shows a file: by MIME type first, then by the name's extension (code and
// text files are often stored as application/octet-stream).

export type PreviewKind = 'image' | 'video' | 'audio' | 'pdf' | 'markdown' | 'text' | 'other';

/** Text previews are fetched whole; bigger files are offered as a download. */
export const TEXT_PREVIEW_MAX = 2 * 1024 * 1024;

const TEXT_EXTENSIONS = new Set(
  (
    'txt text log md markdown json jsonc json5 ndjson geojson js mjs cjs jsx ts mts cts tsx ' +
    'py pyi rb php pl pm lua r go rs c h cc cpp cxx hpp hh java kt kts scala swift cs fs vb ' +
    'dart ex exs erl hs ml clj sh bash zsh fish ps1 bat cmd yaml yml toml ini cfg conf ' +
    'properties env xml xsd xsl html htm xhtml css scss sass less svelte vue astro sql graphql ' +
    'gql proto csv tsv diff patch srt vtt tex bib rst adoc org nfo gitignore gitattributes ' +
    'editorconfig dockerfile makefile cmake gradle lock tf hcl nix zig nim v asm s'
  ).split(' '),
);
const TEXT_NAMES = new Set(['dockerfile', 'makefile', 'readme', 'license', 'changelog']);
/** Types that say nothing about the content: the name decides. */
const UNKNOWN_MIMES = new Set([
  '',
  'application/octet-stream',
  'application/x-empty',
  'inode/x-empty',
]);

const TEXT_MIMES = new Set([
  'application/json',
  'application/ld+json',
  'application/xml',
  'application/javascript',
  'application/x-javascript',
  'application/ecmascript',
  'application/typescript',
  'application/x-sh',
  'application/x-shellscript',
  'application/x-yaml',
  'application/yaml',
  'application/toml',
  'application/x-toml',
  'application/sql',
  'application/x-httpd-php',
  'application/x-python',
  'application/x-ndjson',
  'application/csv',
  'application/x-subrip',
]);

export function baseMime(mime: string): string {
  return (mime.split(';')[0] ?? '').trim().toLowerCase();
}

export function extensionOf(name: string): string {
  const base = name.toLowerCase();
  const dot = base.lastIndexOf('.');
  return dot < 0 ? '' : base.slice(dot + 1);
}

export function previewKind(file: { name: string; mime_type: string }): PreviewKind {
  const mime = baseMime(file.mime_type);
  const ext = extensionOf(file.name);
  const vague = UNKNOWN_MIMES.has(mime) || mime.startsWith('text/');
  if (mime === 'text/markdown' || mime === 'text/x-markdown') return 'markdown';
  if ((ext === 'md' || ext === 'markdown') && vague) return 'markdown';
  if (mime.startsWith('image/')) return 'image';
  if (mime.startsWith('video/')) return 'video';
  if (mime.startsWith('audio/')) return 'audio';
  if (mime === 'application/pdf') return 'pdf';
  if (
    mime.startsWith('text/') ||
    TEXT_MIMES.has(mime) ||
    mime.endsWith('+json') ||
    mime.endsWith('+xml')
  )
    return 'text';
  if (
    UNKNOWN_MIMES.has(mime) &&
    (TEXT_EXTENSIONS.has(ext) || TEXT_NAMES.has(file.name.toLowerCase()))
  )
    return 'text';
  return 'other';
}

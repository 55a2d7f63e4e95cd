// Which highlight.js language colours a text file: by the name's extension, then by the MIME
// type. Plain text (.txt, .log, unknown) gets none. The highlighter itself (highlight.ts) and
// each language are loaded only when a file needs them.
import { baseMime, extensionOf } from './kinds';

export type Language =
  | 'bash'
  | 'c'
  | 'cpp'
  | 'csharp'
  | 'css'
  | 'diff'
  | 'dockerfile'
  | 'go'
  | 'ini'
  | 'java'
  | 'javascript'
  | 'json'
  | 'kotlin'
  | 'less'
  | 'lua'
  | 'makefile'
  | 'perl'
  | 'php'
  | 'python'
  | 'ruby'
  | 'rust'
  | 'scss'
  | 'sql'
  | 'swift'
  | 'typescript'
  | 'xml'
  | 'yaml';

/** Above this many characters the text stays plain: highlighting would stall the page. */
export const HIGHLIGHT_MAX = 256 * 1024;

const BY_EXTENSION: Record<string, Language> = {};
const GROUPS: Array<[Language, string]> = [
  ['bash', 'sh bash zsh'],
  ['c', 'c h'],
  ['cpp', 'cc cpp cxx hpp hh'],
  ['csharp', 'cs'],
  ['css', 'css'],
  ['diff', 'diff patch'],
  ['dockerfile', 'dockerfile'],
  ['go', 'go'],
  ['ini', 'ini cfg conf toml properties'],
  ['java', 'java'],
  ['javascript', 'js mjs cjs jsx'],
  ['json', 'json jsonc json5 geojson'],
  ['kotlin', 'kt kts'],
  ['less', 'less'],
  ['lua', 'lua'],
  ['makefile', 'makefile mk'],
  ['perl', 'pl pm'],
  ['php', 'php'],
  ['python', 'py pyi'],
  ['ruby', 'rb'],
  ['rust', 'rs'],
  ['scss', 'scss'],
  ['sql', 'sql'],
  ['swift', 'swift'],
  ['typescript', 'ts mts cts tsx'],
  ['xml', 'html htm xhtml xml xsd xsl svg svelte vue'],
  ['yaml', 'yaml yml'],
];
for (const [language, exts] of GROUPS) for (const e of exts.split(' ')) BY_EXTENSION[e] = language;

const BY_MIME: Record<string, Language> = {
  'application/javascript': 'javascript',
  'application/x-javascript': 'javascript',
  'text/javascript': 'javascript',
  'application/typescript': 'typescript',
  'application/json': 'json',
  'application/ld+json': 'json',
  'text/html': 'xml',
  'application/xhtml+xml': 'xml',
  'application/xml': 'xml',
  'text/xml': 'xml',
  'image/svg+xml': 'xml',
  'text/css': 'css',
  'application/x-sh': 'bash',
  'application/x-shellscript': 'bash',
  'text/x-shellscript': 'bash',
  'text/x-python': 'python',
  'application/x-python': 'python',
  'application/x-yaml': 'yaml',
  'application/yaml': 'yaml',
  'text/yaml': 'yaml',
  'application/toml': 'ini',
  'application/sql': 'sql',
  'application/x-httpd-php': 'php',
  'text/x-diff': 'diff',
  'text/x-patch': 'diff',
};

export function languageFor(file: { name: string; mime_type: string }): Language | null {
  const name = file.name.toLowerCase();
  if (name === 'dockerfile' || name.startsWith('dockerfile.')) return 'dockerfile';
  if (name === 'makefile' || name === 'gnumakefile') return 'makefile';
  return BY_EXTENSION[extensionOf(name)] ?? BY_MIME[baseMime(file.mime_type)] ?? null;
}

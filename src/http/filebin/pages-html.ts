import type { FileRecord, ListRecord } from '../../core/records.js';

/** Server-rendered pages: everything user-provided is escaped, and no page runs any script. */

export function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** Our pages' own policy: no scripts, no frames, images and styles from here only. */
export const PAGE_CSP =
  "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'none'; base-uri 'none'";

const STYLE = `body{font-family:system-ui,sans-serif;margin:0 auto;max-width:70rem;padding:1rem;color:#222}
table.code{border-collapse:collapse;font:13px/1.4 ui-monospace,monospace}
table.code td{vertical-align:top;padding:0 .6rem;white-space:pre}
td.ln{color:#999;text-align:right;user-select:none;border-right:1px solid #ddd}
img.preview{max-width:100%}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}
dt{font-weight:600}
nav a{margin-right:1rem}
section{margin:1.5rem 0}`;

export function layout(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

export function errorPage(title: string, message: string): string {
  return layout(title, `<h1>${esc(title)}</h1>\n<p>${esc(message)}</p>`);
}

export const notFoundPage = () =>
  layout('FileBin - Not Found', '<h1>Not Found</h1>\n<p>No such file or multipaste.</p>');

function nav(file: FileRecord): string {
  const id = encodeURIComponent(file.id);
  return `<nav><a href="/${id}">Raw</a><a href="/${id}/plain">Plain</a><a href="/${id}/info">Info</a></nav>`;
}

/** Text as an escaped table of numbered lines (no highlighter: nothing of the text is markup). */
export function codeTable(text: string): string {
  const lines = text.split(/\r?\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const rows = lines.map(
    (line, i) => `<tr id="n_${i + 1}"><td class="ln">${i + 1}</td><td>${esc(line)}</td></tr>`,
  );
  return `<table class="code">${rows.join('')}</table>`;
}

export function textPage(file: FileRecord, text: string): string {
  return layout(file.name, `<h1>${esc(file.name)}</h1>\n${nav(file)}\n${codeTable(text)}`);
}

export function imagePage(file: FileRecord): string {
  const id = encodeURIComponent(file.id);
  return layout(
    file.name,
    `<h1>${esc(file.name)}</h1>\n${nav(file)}\n<p><img class="preview" src="/${id}" alt="${esc(file.name)}"></p>`,
  );
}

export function infoPage(file: FileRecord, md5: string, mimeType: string): string {
  const id = encodeURIComponent(file.id);
  return layout(
    `${file.name} - Info ${file.id}`,
    `<h1>${esc(file.name)}</h1>\n${nav(file)}\n<dl>
<dt>ID</dt><dd>${esc(file.id)}</dd>
<dt>Filename</dt><dd>${esc(file.name)}</dd>
<dt>Type</dt><dd>${esc(mimeType)}</dd>
<dt>Size</dt><dd>${file.size} bytes</dd>
<dt>Uploaded</dt><dd>${new Date(file.createdAt).toISOString()}</dd>
<dt>MD5</dt><dd>${esc(md5)}</dd>
<dt>Removal</dt><dd>never</dd>
</dl>\n<p><a href="/${id}">Download</a></p>`,
  );
}

export function multipastePage(
  list: ListRecord,
  files: { file: FileRecord; text: string | null; image: boolean }[],
): string {
  const names = files.map((f) => f.file.name).join(', ');
  const title = `Multipaste (${files.length} files) - ${names}`;
  const id = encodeURIComponent(list.id);
  const sections = files.map(({ file, text, image }) => {
    const fid = encodeURIComponent(file.id);
    const head = `<h2><a href="/${fid}/">${esc(file.name)}</a></h2>`;
    const body =
      text !== null
        ? codeTable(text)
        : image
          ? `<p><img class="preview" src="/${fid}" alt="${esc(file.name)}"></p>`
          : `<p><a href="/${fid}">Download (${file.size} bytes)</a></p>`;
    return `<section>${head}\n${body}</section>`;
  });
  return layout(
    title,
    `<h1>Multipaste (${files.length} files)</h1>\n<nav><a href="/${id}/tar">Download all (.tar.gz)</a></nav>\n${sections.join('\n')}`,
  );
}

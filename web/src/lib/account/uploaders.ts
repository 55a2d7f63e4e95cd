// Uploader recipes of the API keys page: a curl one-liner, a Flameshot script and an iOS
// Shortcuts recipe, with this instance's origin and an upload key filled in. Plain functions (no
// DOM): the tests run what they return against a real server.

export interface ShortcutStep {
  /** The Shortcuts action, as named in the app. */
  action: string;
  /** What to set in it. */
  settings: string[];
}

export interface UploaderRecipes {
  /** Upload a file with curl (PUT, the key as the Basic password): prints the answer, with the id. */
  curl: string;
  /** A shell script: Flameshot's capture uploaded with curl, the link copied and printed. */
  flameshot: string;
  /** The steps of an iOS/macOS Shortcut that uploads the file shared to it and copies the link. */
  shortcut: ShortcutStep[];
  /** The Authorization header value of the shortcut: Basic base64(":" + key). */
  authorization: string;
}

/** Single-quoted for sh: safe whatever the string holds. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Base64 of a string's UTF-8 bytes, in the browser and in Node alike. */
function base64(s: string): string {
  let bin = '';
  for (const b of new TextEncoder().encode(s)) bin += String.fromCharCode(b);
  return btoa(bin);
}

export function uploaderRecipes(origin: string, key: string): UploaderRecipes {
  const base = origin.replace(/\/+$/, '');
  const auth = shellQuote(`:${key}`);
  const curl = `curl -T file.txt -u ${auth} ${shellQuote(`${base}/api/file/`)}`;
  const flameshot = [
    '#!/bin/sh',
    `# Screenshot with Flameshot, upload to ${base}, copy the link.`,
    'set -e',
    `id=$(flameshot gui --raw | curl -sSf -T - -u ${auth} ${shellQuote(`${base}/api/file/screenshot.png`)} \\`,
    `  | grep -o '"id":"[^"]*"' | head -n 1 | cut -d '"' -f 4)`,
    '[ -n "$id" ] || exit 1',
    `link=${shellQuote(`${base}/u/`)}"$id"`,
    `printf '%s' "$link" | { wl-copy 2>/dev/null || xclip -selection clipboard; }`,
    `echo "$link"`,
  ].join('\n');
  const authorization = `Basic ${base64(`:${key}`)}`;
  const shortcut: ShortcutStep[] = [
    {
      action: 'Receive Images and Files from Share Sheet',
      settings: ['If there is no input: Ask For Files'],
    },
    {
      action: 'Get Contents of URL',
      settings: [
        `URL: ${base}/api/file/ followed by the variable Shortcut Input › Name`,
        'Method: PUT',
        `Headers: Authorization = ${authorization}`,
        'Request Body: File, the variable Shortcut Input',
      ],
    },
    { action: 'Get Dictionary Value', settings: ['Get: Value for Key id in Contents of URL'] },
    { action: 'Text', settings: [`${base}/u/ followed by the variable Dictionary Value`] },
    { action: 'Copy to Clipboard', settings: ['The Text'] },
    { action: 'Show Notification', settings: ['Uploaded: the Text'] },
  ];
  return { curl, flameshot, shortcut, authorization };
}

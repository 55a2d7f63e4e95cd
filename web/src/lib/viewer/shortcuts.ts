// Keyboard shortcuts of the viewer pages (pixeldrain's: a/d/←/→, s, Shift+S, c, r, q/Escape):
// ignored while typing, with a modifier held, or while a dialog is open.

export function shortcutTarget(e: KeyboardEvent): boolean {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return false;
  const t = e.target;
  if (t instanceof HTMLElement) {
    if (t.isContentEditable) return false;
    const tag = t.tagName;
    if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT') return false;
    // Arrow keys seek and change volume in a focused player.
    if ((tag === 'VIDEO' || tag === 'AUDIO') && e.key.startsWith('Arrow')) return false;
  }
  return document.querySelector('dialog[open]') === null;
}

/** Start a download the way a click on `<a download>` does. */
export function startDownload(href: string): void {
  const a = document.createElement('a');
  a.href = href;
  a.download = '';
  document.body.append(a);
  a.click();
  a.remove();
}

/** Copy text to the clipboard (with the select-and-copy fallback of plain-http pages). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}

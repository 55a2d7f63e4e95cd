// Markdown → HTML that is safe to insert: marked renders, DOMPurify sanitises (browser only;
// loaded on demand by the text previewer). Links open in a new tab without referrer power;
// images are kept only when they are files of this server (the page's CSP would block others
// anyway), the rest become links. Task lists (`- [ ]`, `- [x]`) keep their disabled checkboxes.
import DOMPurify from 'dompurify';
import { Marked, type Token } from 'marked';

const SAFE_LINK = /^(https?:|mailto:)/i;

/** A start tag, quoted attribute values included. */
const START_TAG = /<[a-zA-Z][^\s/>]*(?:[^>"']|"[^"]*"|'[^']*')*>/g;
/** An event handler or style attribute's name, where the HTML parser would start one. */
const RISKY_ATTR = /([\s"'/])((?:on[a-z]+|style)\s*=)/gi;

/**
 * Chromium reports a CSP violation whenever it parses an event handler or inline style, even into
 * an inert document such as the one DOMPurify sanitises in: blocked, but noise in the console.
 * Raw HTML in the markdown is defused before any parsing (renamed attributes, no <style>);
 * DOMPurify still does the actual sanitising.
 */
function defuse(html: string): string {
  return html
    .replace(/<style\b[\s\S]*?(?:<\/style\s*>|$)/gi, '')
    .replace(START_TAG, (tag) => tag.replace(RISKY_ATTR, '$1data-removed-$2'));
}

const marked = new Marked({
  gfm: true,
  walkTokens(token: Token) {
    if (token.type === 'html') token.text = defuse(token.text);
  },
});

export function renderMarkdown(source: string): string {
  const raw = marked.parse(source, { async: false });
  const fragment = DOMPurify.sanitize(raw, {
    USE_PROFILES: { html: true },
    // <input> passes here only to be rebuilt below: a bare disabled checkbox in a list item.
    FORBID_TAGS: ['style', 'form', 'button', 'textarea', 'select', 'option'],
    // Inline styles would break the page's CSP (style-src 'self').
    FORBID_ATTR: ['style'],
    ALLOW_DATA_ATTR: false,
    RETURN_DOM_FRAGMENT: true,
  });
  keepTaskCheckboxes(fragment);
  for (const a of fragment.querySelectorAll('a')) {
    const href = a.getAttribute('href') ?? '';
    if (href.startsWith('#')) continue;
    if (!SAFE_LINK.test(href) && !href.startsWith('/')) {
      // No usable target (javascript: was already dropped by DOMPurify): keep the text only.
      a.replaceWith(...a.childNodes);
      continue;
    }
    a.setAttribute('target', '_blank');
    a.setAttribute('rel', 'noopener nofollow ugc');
  }
  for (const img of fragment.querySelectorAll('img')) {
    const src = img.getAttribute('src') ?? '';
    if (isOwnFile(src)) {
      img.setAttribute('loading', 'lazy');
      continue;
    }
    const label = img.getAttribute('alt') || img.getAttribute('title') || 'image';
    let replacement: Node;
    if (SAFE_LINK.test(src)) {
      const a = document.createElement('a');
      a.href = src;
      a.target = '_blank';
      a.rel = 'noopener nofollow ugc';
      a.textContent = `[${label}]`;
      replacement = a;
    } else {
      replacement = document.createTextNode(`[${label}]`);
    }
    img.replaceWith(replacement);
  }
  const box = document.createElement('div');
  box.append(fragment);
  return box.innerHTML;
}

/**
 * The checkboxes of task list items, rebuilt from scratch (no attribute of the source survives
 * but whether it is checked); every other <input> is removed.
 */
function keepTaskCheckboxes(fragment: DocumentFragment): void {
  for (const input of fragment.querySelectorAll('input')) {
    const li = input.closest('li');
    if (!li || input.getAttribute('type')?.toLowerCase() !== 'checkbox') {
      input.remove();
      continue;
    }
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.disabled = true;
    if (input.hasAttribute('checked')) box.setAttribute('checked', '');
    input.replaceWith(box);
    box.setAttribute('aria-label', itemText(li) || 'task');
    li.classList.add('task');
  }
}

/** The text of a list item, its nested lists left out: the name of its checkbox. */
function itemText(li: HTMLLIElement): string {
  let text = '';
  for (const node of li.childNodes) {
    if (node instanceof Element && (node.tagName === 'UL' || node.tagName === 'OL')) continue;
    text += node.textContent ?? '';
  }
  return text.replace(/\s+/g, ' ').trim();
}

/** An image this server stores (/api/file/{id}…), by a relative or absolute same-origin URL. */
function isOwnFile(src: string): boolean {
  if (!src) return false;
  try {
    const url = new URL(src, location.href);
    return url.origin === location.origin && url.pathname.startsWith('/api/file/');
  } catch {
    return false;
  }
}

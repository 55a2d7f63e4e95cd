// Syntax highlighting with highlight.js's core and only the languages asked for, each its own
// chunk (a dynamic import from TextPreview.svelte loads this module). highlight.js escapes the
// text it wraps in its spans; the result is checked to hold nothing else before it is used.
import hljs from 'highlight.js/lib/core';
import type { LanguageFn } from 'highlight.js';
import type { Language } from './code';

type Loader = () => Promise<{ default: LanguageFn }>;

const LOADERS: Record<Language, Loader> = {
  bash: () => import('highlight.js/lib/languages/bash'),
  c: () => import('highlight.js/lib/languages/c'),
  cpp: () => import('highlight.js/lib/languages/cpp'),
  csharp: () => import('highlight.js/lib/languages/csharp'),
  css: () => import('highlight.js/lib/languages/css'),
  diff: () => import('highlight.js/lib/languages/diff'),
  dockerfile: () => import('highlight.js/lib/languages/dockerfile'),
  go: () => import('highlight.js/lib/languages/go'),
  ini: () => import('highlight.js/lib/languages/ini'),
  java: () => import('highlight.js/lib/languages/java'),
  javascript: () => import('highlight.js/lib/languages/javascript'),
  json: () => import('highlight.js/lib/languages/json'),
  kotlin: () => import('highlight.js/lib/languages/kotlin'),
  less: () => import('highlight.js/lib/languages/less'),
  lua: () => import('highlight.js/lib/languages/lua'),
  makefile: () => import('highlight.js/lib/languages/makefile'),
  perl: () => import('highlight.js/lib/languages/perl'),
  php: () => import('highlight.js/lib/languages/php'),
  python: () => import('highlight.js/lib/languages/python'),
  ruby: () => import('highlight.js/lib/languages/ruby'),
  rust: () => import('highlight.js/lib/languages/rust'),
  scss: () => import('highlight.js/lib/languages/scss'),
  sql: () => import('highlight.js/lib/languages/sql'),
  swift: () => import('highlight.js/lib/languages/swift'),
  typescript: () => import('highlight.js/lib/languages/typescript'),
  xml: () => import('highlight.js/lib/languages/xml'),
  yaml: () => import('highlight.js/lib/languages/yaml'),
};

/** Languages another one embeds (HTML's <script> and <style>). */
const EMBEDS: Partial<Record<Language, Language[]>> = { xml: ['javascript', 'css'] };

/** Anything in the output but hljs's spans and escaped text. */
const NOT_SPANS =
  /<(?!span class="(?:hljs|language)-[\w -]+">|\/span>)|>(?<!<\/span>)(?<!<span class="(?:hljs|language)-[\w -]+">)/;

async function register(language: Language): Promise<void> {
  if (hljs.getLanguage(language)) return;
  hljs.registerLanguage(language, (await LOADERS[language]()).default);
}

/** The text as highlight.js's HTML, or null when that is not just spans around escaped text. */
export async function highlight(text: string, language: Language): Promise<string | null> {
  await Promise.all([language, ...(EMBEDS[language] ?? [])].map(register));
  const html = hljs.highlight(text, { language, ignoreIllegals: true }).value;
  return NOT_SPANS.test(html) ? null : html;
}

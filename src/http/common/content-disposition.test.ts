import { describe, expect, it } from 'vitest';
import { contentDisposition } from './content-disposition.js';

/** Split `type; filename="..."; filename*=UTF-8''...` into its parts (quoted filename may hold ';'). */
function parse(header: string): { type: string; filename: string; filenameStar: string } {
  const m = /^(inline|attachment); filename="([^"]*)"; filename\*=UTF-8''([^;\s]*)$/.exec(header);
  if (!m) throw new Error(`unexpected Content-Disposition: ${header}`);
  return { type: m[1]!, filename: m[2]!, filenameStar: m[3]! };
}

/** RFC 5987 attr-char plus pct-encoding. */
const ATTR_CHARS = /^(?:[A-Za-z0-9!#$&+\-.^_`|~]|%[0-9A-F]{2})*$/;

describe('contentDisposition', () => {
  it('a name plain ASCII carries as is: filename alone (FileBin’s own header, byte for byte)', () => {
    expect(contentDisposition('inline', 'report.pdf')).toBe(`inline; filename="report.pdf"`);
    expect(contentDisposition('attachment', 'a-b_c.txt')).toBe(`attachment; filename="a-b_c.txt"`);
    // Inside a quoted string a semicolon, an equals sign, quotes' neighbours and a lone % are text.
    expect(contentDisposition('attachment', 'a;b=c.txt')).toBe(`attachment; filename="a;b=c.txt"`);
    expect(contentDisposition('inline', "it's (a) *star*.txt")).toBe(
      `inline; filename="it's (a) *star*.txt"`,
    );
    expect(contentDisposition('inline', '100%.txt')).toBe(`inline; filename="100%.txt"`);
  });

  it('what looks like percent-encoding gets the exact name in filename* too', () => {
    const p = parse(contentDisposition('inline', '100%41.txt'));
    expect(p.filename).toBe('100%41.txt');
    expect(p.filenameStar).toBe('100%2541.txt');
  });

  it('quotes never appear raw inside the quoted filename; filename* has the exact name', () => {
    const p = parse(contentDisposition('inline', 'say "hi" bye.txt'));
    expect(p.filename).toBe('say _hi_ bye.txt');
    expect(decodeURIComponent(p.filenameStar)).toBe('say "hi" bye.txt');
    expect(p.filenameStar).toMatch(ATTR_CHARS);
  });

  it('path separators become _ in both parameters: nothing before them is dropped', () => {
    for (const [name, want] of [
      ['a\\b "c".txt', 'a_b "c".txt'],
      ['../../etc/passwd', '.._.._etc_passwd'],
    ]) {
      const h = contentDisposition('attachment', name!);
      expect(h).not.toMatch(/[/\\]/);
      const star = /filename\*=UTF-8''([^;\s]*)$/.exec(h)?.[1];
      const plain = /filename="([^"]*)"/.exec(h)![1]!;
      expect(star ? decodeURIComponent(star) : plain).toBe(want);
    }
  });

  it('accented letters lose their accents in the ASCII fallback and round-trip in filename*', () => {
    const p = parse(contentDisposition('inline', 'café Ünïcödé.txt'));
    expect(p.filename).toBe('cafe Unicode.txt');
    expect(p.filenameStar).toBe('caf%C3%A9%20%C3%9Cn%C3%AFc%C3%B6d%C3%A9.txt');
    expect(decodeURIComponent(p.filenameStar)).toBe('café Ünïcödé.txt');
    // Latin-1 letters never go out raw (the library's own fallback would keep them).
    expect(contentDisposition('inline', 'été.txt')).toMatch(/^[\x20-\x7e]*$/);
  });

  it('non-Latin names and emoji become ASCII placeholders and round-trip in filename*', () => {
    for (const name of ['テスト.png', '测试 文件.zip', 'party 🎉.gif', 'ﬁle.txt']) {
      const h = contentDisposition('inline', name);
      expect(h).toMatch(/^[\x20-\x7e]*$/);
      const p = parse(h);
      expect(p.filename).toMatch(/^[\x20-\x7e]*$/);
      expect(p.filename.endsWith(name.slice(name.lastIndexOf('.')))).toBe(true);
      expect(p.filenameStar).toMatch(ATTR_CHARS);
      expect(decodeURIComponent(p.filenameStar)).toBe(name);
    }
  });

  it("characters encodeURIComponent leaves alone but RFC 5987 forbids (' ( ) *) are encoded", () => {
    const p = parse(contentDisposition('inline', "it's (a) *star* ✓.txt"));
    expect(p.filenameStar).toMatch(ATTR_CHARS);
    expect(p.filenameStar).toBe('it%27s%20%28a%29%20%2Astar%2A%20%E2%9C%93.txt');
    expect(decodeURIComponent(p.filenameStar)).toBe("it's (a) *star* ✓.txt");
  });

  it('control characters cannot break the header', () => {
    const h = contentDisposition('inline', 'a\r\nSet-Cookie: x=y\u0000\u007f.txt');
    // eslint-disable-next-line no-control-regex
    expect(h).not.toMatch(/[\r\n\u0000\u007f]/);
    expect(h).toMatch(/^[\x20-\x7e]*$/);
    const p = parse(h);
    expect(decodeURIComponent(p.filenameStar)).toBe('a\r\nSet-Cookie: x=y\u0000\u007f.txt');
  });

  it('a percent sign is encoded in filename* when one is needed', () => {
    const p = parse(contentDisposition('inline', '100% ✓.txt'));
    expect(p.filenameStar).toBe('100%25%20%E2%9C%93.txt');
  });
});

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
  it('plain ASCII names appear unchanged in both parameters', () => {
    expect(contentDisposition('inline', 'report.pdf')).toBe(
      `inline; filename="report.pdf"; filename*=UTF-8''report.pdf`,
    );
    expect(contentDisposition('attachment', 'a-b_c.txt')).toBe(
      `attachment; filename="a-b_c.txt"; filename*=UTF-8''a-b_c.txt`,
    );
  });

  it('quotes and backslashes never appear raw inside the quoted filename', () => {
    const p = parse(contentDisposition('inline', 'say "hi" \\ bye.txt'));
    expect(p.filename).toBe('say _hi_ _ bye.txt');
    expect(decodeURIComponent(p.filenameStar)).toBe('say "hi" \\ bye.txt');
    expect(p.filenameStar).toMatch(ATTR_CHARS);
  });

  it('a semicolon stays inside the quotes and is encoded in filename*', () => {
    const h = contentDisposition('attachment', 'a;b=c.txt');
    const p = parse(h);
    expect(p.type).toBe('attachment');
    expect(p.filename).toBe('a;b=c.txt');
    expect(p.filenameStar).toBe('a%3Bb%3Dc.txt');
  });

  it('accented letters lose their accents in the ASCII fallback and round-trip in filename*', () => {
    const p = parse(contentDisposition('inline', 'café Ünïcödé.txt'));
    expect(p.filename).toBe('cafe Unicode.txt');
    expect(p.filenameStar).toBe('caf%C3%A9%20%C3%9Cn%C3%AFc%C3%B6d%C3%A9.txt');
    expect(decodeURIComponent(p.filenameStar)).toBe('café Ünïcödé.txt');
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
    const p = parse(contentDisposition('inline', "it's (a) *star*.txt"));
    expect(p.filenameStar).toMatch(ATTR_CHARS);
    expect(p.filenameStar).toBe('it%27s%20%28a%29%20%2Astar%2A.txt');
    expect(decodeURIComponent(p.filenameStar)).toBe("it's (a) *star*.txt");
  });

  it('control characters cannot break the header', () => {
    const h = contentDisposition('inline', 'a\r\nSet-Cookie: x=y\u0000\u007f.txt');
    // eslint-disable-next-line no-control-regex
    expect(h).not.toMatch(/[\r\n\u0000\u007f]/);
    expect(h).toMatch(/^[\x20-\x7e]*$/);
    const p = parse(h);
    expect(decodeURIComponent(p.filenameStar)).toBe('a\r\nSet-Cookie: x=y\u0000\u007f.txt');
  });

  it('a percent sign is encoded in filename*', () => {
    const p = parse(contentDisposition('inline', '100%.txt'));
    expect(p.filenameStar).toBe('100%25.txt');
  });
});

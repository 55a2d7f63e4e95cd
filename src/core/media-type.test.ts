import { describe, expect, it } from 'vitest';
import { detectMediaType, iconCategoryOf, isActiveContent, mediaKindOf } from './media-type.js';

const bytes = (...b: number[]) => Buffer.from(b);

describe('detectMediaType', () => {
  it.each([
    ['x', bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0), 'image/png'],
    ['x', bytes(0xff, 0xd8, 0xff, 0xe0, 0, 0x10), 'image/jpeg'],
    ['x', Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'), 'image/gif'],
    ['x', Buffer.from('%PDF-1.7\n%\xe2\xe3\n', 'latin1'), 'application/pdf'],
    ['x', Buffer.from('RIFF\x00\x00\x00\x00WEBPVP8 ', 'latin1'), 'image/webp'],
    ['x', Buffer.from('\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1', 'latin1'), 'image/avif'],
    ['x', Buffer.from('\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom', 'latin1'), 'video/mp4'],
  ])('%s with magic -> %s', async (name, head, type) => {
    expect(await detectMediaType(name, head)).toBe(type);
  });

  it('text is text/plain; charset=utf-8, also with a multi-byte character cut at the end', async () => {
    expect(await detectMediaType('notes', Buffer.from('hello\n'))).toBe(
      'text/plain; charset=utf-8',
    );
    const cut = Buffer.from('héé').subarray(0, 4);
    expect(await detectMediaType('x', cut)).toBe('text/plain; charset=utf-8');
  });

  it('the extension decides for text formats only when the content is text', async () => {
    expect(await detectMediaType('a.html', Buffer.from('<p>hi</p>'))).toBe(
      'text/html; charset=utf-8',
    );
    expect(await detectMediaType('a.json', Buffer.from('{"a":1}'))).toBe('application/json');
    expect(await detectMediaType('a.html', bytes(0, 1, 2, 3))).toBe('application/octet-stream');
    expect(await detectMediaType('a.mp4', bytes(0, 1, 2, 3))).toBe('video/mp4');
  });

  it('XML is refined by the extension (SVG stays active content)', async () => {
    const svg = Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>');
    expect(await detectMediaType('a.svg', svg)).toBe('image/svg+xml');
    expect(await detectMediaType('a.xml', svg)).toBe('text/xml; charset=utf-8');
    expect(isActiveContent(await detectMediaType('noext', svg))).toBe(true);
  });

  it('empty content: by extension, else octet-stream', async () => {
    expect(await detectMediaType('a.png', Buffer.alloc(0))).toBe('image/png');
    expect(await detectMediaType('empty', Buffer.alloc(0))).toBe('application/octet-stream');
  });
});

describe('kinds and icons', () => {
  it.each([
    ['image/png', 'image', 'image'],
    ['image/svg+xml', 'other', 'image'],
    ['video/mp4', 'video', 'video'],
    ['audio/ogg; codecs=opus', 'audio', 'audio'],
    ['application/pdf', 'pdf', 'pdf'],
    ['application/zip', 'other', 'archive'],
    ['application/gzip', 'other', 'archive'],
    [
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'other',
      'document',
    ],
    ['text/plain; charset=utf-8', 'other', 'text'],
    ['text/html; charset=utf-8', 'other', 'text'],
    ['application/octet-stream', 'other', 'generic'],
  ])('%s: kind %s, icon %s', (type, kind, icon) => {
    expect(mediaKindOf(type)).toBe(kind);
    expect(iconCategoryOf(type)).toBe(icon);
  });
});

// Names of files pasted onto the upload page (web/src/lib/home/pasted.ts).
import { describe, expect, it } from 'vitest';
import { pastedNames, pastedStem } from '../../web/src/lib/home/pasted.js';

describe('names of pasted files', () => {
  const at = new Date(2026, 11, 3, 23, 15, 0); // local time, as the page names them

  it('is pasted- and the local date and time', () => {
    expect(pastedStem(at)).toBe('pasted-2026-12-03-231500');
    expect(pastedStem(new Date(2027, 0, 9, 4, 5, 6))).toBe('pasted-2027-01-09-040506');
  });

  it("replaces a browser's generic image name, keeping the extension", () => {
    expect(pastedNames([{ name: 'image.png', type: 'image/png' }], at)).toEqual([
      'pasted-2026-12-03-231500.png',
    ]);
    expect(pastedNames([{ name: 'IMAGE.JPG', type: 'image/jpeg' }], at)).toEqual([
      'pasted-2026-12-03-231500.jpg',
    ]);
  });

  it('takes the extension from the type when there is no name', () => {
    expect(
      pastedNames(
        [
          { name: '', type: 'image/webp' },
          { name: '', type: 'application/x-unknown' },
        ],
        at,
      ),
    ).toEqual(['pasted-2026-12-03-231500.webp', 'pasted-2026-12-03-231500-2.bin']);
  });

  it('numbers several pasted at once and keeps real names as they are', () => {
    expect(
      pastedNames(
        [
          { name: 'image.png', type: 'image/png' },
          { name: 'holiday.jpg', type: 'image/jpeg' },
          { name: 'image.png', type: 'image/png' },
          { name: 'image.txt', type: 'text/plain' },
        ],
        at,
      ),
    ).toEqual([
      'pasted-2026-12-03-231500.png',
      'holiday.jpg',
      'pasted-2026-12-03-231500-2.png',
      'image.txt',
    ]);
  });
});

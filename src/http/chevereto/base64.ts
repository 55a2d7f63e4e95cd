import { Writable } from 'node:stream';

/** Why a base64 source was refused. */
export class Base64Error extends Error {
  constructor(readonly reason: 'invalid' | 'empty') {
    super(reason === 'invalid' ? 'Invalid base64 string' : 'Empty source');
  }
}

const B64 = /^[A-Za-z0-9+/]*$/;
const VALUE: Record<string, number> = Object.fromEntries(
  [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].map((c, i) => [c, i]),
);

/**
 * Strict (canonical) base64, decoded as it arrives, in bounded memory: only the standard alphabet,
 * `=` padding only at the very end, a length that is a multiple of 4, no stray bits in the last
 * group. Line breaks and tabs are skipped; a space counts as `+` (a form-encoded `+` that the
 * client did not escape). A leading `data:…;base64,` prefix is tolerated.
 */
export class Base64Decoder {
  private carry = '';
  private padding = 0;
  private chars = 0;
  private head = '';
  private started = false;

  constructor(private readonly out: (bytes: Buffer) => void) {}

  push(text: string): void {
    if (!this.started) {
      // Hold the first characters back until the data: prefix (if any) can be recognised.
      this.head += text;
      if (this.head.length < 256 && !this.head.includes(',')) return;
      this.started = true;
      const prefix = /^\s*data:[^,]{0,200};base64,/i.exec(this.head);
      text = prefix ? this.head.slice(prefix[0].length) : this.head;
      this.head = '';
    }
    this.feed(text);
  }

  private feed(raw: string): void {
    let text = raw.replace(/[\r\n\t]/g, '').replace(/ /g, '+');
    if (this.padding > 0) {
      if (!/^=*$/.test(text)) throw new Base64Error('invalid');
      this.padding += text.length;
      this.chars += text.length;
      if (this.padding > 2) throw new Base64Error('invalid');
      return;
    }
    const eq = text.indexOf('=');
    let pad = '';
    if (eq >= 0) {
      pad = text.slice(eq);
      text = text.slice(0, eq);
      if (!/^=*$/.test(pad) || pad.length > 2) throw new Base64Error('invalid');
    }
    if (!B64.test(text)) throw new Base64Error('invalid');
    this.chars += text.length + pad.length;
    this.padding = pad.length;
    const all = this.carry + text;
    const whole = all.length - (all.length % 4);
    if (whole > 0) this.out(Buffer.from(all.slice(0, whole), 'base64'));
    this.carry = all.slice(whole);
  }

  /** The end of the value: checks the length and the last group. */
  end(): void {
    if (!this.started) {
      this.started = true;
      const prefix = /^\s*data:[^,]{0,200};base64,/i.exec(this.head);
      const text = prefix ? this.head.slice(prefix[0].length) : this.head;
      this.head = '';
      this.feed(text);
    }
    if (this.chars === 0) throw new Base64Error('empty');
    if (this.chars % 4 !== 0) throw new Base64Error('invalid');
    const last = this.carry;
    if (this.padding === 2 && ((VALUE[last[1]!] ?? 0) & 0x0f) !== 0)
      throw new Base64Error('invalid');
    if (this.padding === 1 && ((VALUE[last[2]!] ?? 0) & 0x03) !== 0)
      throw new Base64Error('invalid');
    if (last) this.out(Buffer.from(last, 'base64'));
    this.carry = '';
  }
}

/** Whether a (short) string value is a URL source rather than base64. */
export function looksLikeUrl(v: string): boolean {
  return /^\s*https?:\/\//i.test(v);
}

/** A Writable that feeds text to a decoder (for piping). */
export function decoderSink(decoder: Base64Decoder): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      try {
        decoder.push(chunk.toString('latin1'));
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
    final(cb) {
      try {
        decoder.end();
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
  });
}

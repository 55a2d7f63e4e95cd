import { createHash } from 'node:crypto';
import { createChallenge, randomInt, verifySolution, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import type { SharedState } from '../shared-state.js';

export interface CaptchaOptions {
  /** The largest counter a solver may have to try (ALTCHA's maxnumber): the work asked. */
  difficulty: number;
  /** How long a challenge may be solved and used, in ms (default 10 minutes). */
  ttlMs?: number;
}

export type CaptchaVerdict =
  | { ok: true; id: string }
  | { ok: false; reason: 'malformed' | 'invalid' | 'expired' | 'replayed' };

/** Payloads longer than this are not looked at (a real one is ~600 characters). */
const MAX_PAYLOAD = 4096;

/**
 * A self-hosted proof-of-work captcha (ALTCHA, altcha-lib v2): no third party, no tracking.
 * Challenges are signed with the instance's HMAC key (shared by every node) and carry an expiry;
 * the challenge is deterministic (the server knows the answer's key and signs it), so checking a
 * solution is two HMACs. A solution works once: its signature is marked used in the shared state,
 * so two nodes refuse the same replay.
 */
export class AltchaCaptcha {
  private keys: Promise<{ sign: string; key: string }> | null = null;

  constructor(
    private readonly hmacKey: () => Promise<string>,
    private readonly state: SharedState,
    private readonly opts: CaptchaOptions,
  ) {}

  private secrets(): Promise<{ sign: string; key: string }> {
    this.keys ??= this.hmacKey().then((k) => ({
      sign: k,
      key: createHash('sha256').update(`altcha-key-signature:${k}`).digest('hex'),
    }));
    // A failed read (database away) is tried again next time.
    this.keys.catch(() => (this.keys = null));
    return this.keys;
  }

  private get ttlMs(): number {
    return this.opts.ttlMs ?? 10 * 60_000;
  }

  /** A new signed challenge for the widget (JSON as altcha-lib v2 renders it). */
  async challenge(): Promise<Challenge> {
    const { sign, key } = await this.secrets();
    return createChallenge({
      algorithm: 'SHA-256',
      cost: 1,
      counter: randomInt(this.opts.difficulty),
      deriveKey,
      // altcha-lib checks expiry against the real clock, so it is set from the real clock.
      expiresAt: Math.floor((Date.now() + this.ttlMs) / 1000),
      hmacSignatureSecret: sign,
      hmacKeySignatureSecret: key,
    });
  }

  /**
   * Check a payload (base64 of `{challenge, solution}` JSON, as the widget submits it): signature,
   * expiry, solution, then single use. Hostile input is answered `malformed`, never thrown.
   */
  async verify(payload: string): Promise<CaptchaVerdict> {
    const parsed = parsePayload(payload);
    if (!parsed) return { ok: false, reason: 'malformed' };
    const { sign, key } = await this.secrets();
    let result;
    try {
      result = await verifySolution({
        challenge: parsed.challenge,
        solution: parsed.solution,
        deriveKey,
        hmacSignatureSecret: sign,
        hmacKeySignatureSecret: key,
      });
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (result.expired) return { ok: false, reason: 'expired' };
    if (!result.verified) return { ok: false, reason: 'invalid' };
    const id = parsed.challenge.signature!;
    // Marked for as long as the challenge could still verify.
    if (!(await this.state.claim(`captcha:used:${id}`, this.ttlMs + 60_000)))
      return { ok: false, reason: 'replayed' };
    return { ok: true, id };
  }
}

interface Parsed {
  challenge: Challenge;
  solution: { counter: number; derivedKey: string };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Decode and shape-check a payload; null for anything that is not one. */
export function parsePayload(payload: string): Parsed | null {
  if (typeof payload !== 'string' || payload.length === 0 || payload.length > MAX_PAYLOAD)
    return null;
  let json: unknown;
  try {
    const text = payload.trimStart().startsWith('{')
      ? payload
      : Buffer.from(payload, 'base64').toString('utf8');
    json = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(json) || !isObject(json.challenge) || !isObject(json.solution)) return null;
  const { challenge, solution } = json;
  const p = challenge.parameters;
  if (!isObject(p) || typeof challenge.signature !== 'string') return null;
  if (p.algorithm !== 'SHA-256') return null;
  if (typeof p.nonce !== 'string' || typeof p.salt !== 'string') return null;
  if (typeof p.keyPrefix !== 'string' || typeof p.cost !== 'number') return null;
  if (typeof solution.counter !== 'number' || typeof solution.derivedKey !== 'string') return null;
  return {
    challenge: {
      parameters: p as unknown as Challenge['parameters'],
      signature: challenge.signature,
    },
    solution: { counter: solution.counter, derivedKey: solution.derivedKey },
  };
}

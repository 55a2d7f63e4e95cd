/// <reference types="vite/client" />
// The ALTCHA widget (proof-of-work captcha), loaded only when a captcha dialog opens. The
// "external" build keeps the page's Content Security Policy: its styles come from a stylesheet
// (style-src 'self') and its proof-of-work workers are files of our own under /res/ (no blob:
// workers, no inline styles).
import 'altcha/external';
import 'altcha/altcha.css';
import Pbkdf2Worker from 'altcha/workers/pbkdf2?worker';
import ShaWorker from 'altcha/workers/sha?worker';

for (const alg of ['PBKDF2/SHA-256', 'PBKDF2/SHA-384', 'PBKDF2/SHA-512'])
  $altcha.algorithms.set(alg, () => new Pbkdf2Worker());
for (const alg of ['SHA-256', 'SHA-384', 'SHA-512'])
  $altcha.algorithms.set(alg, () => new ShaWorker());

export const ready = true;

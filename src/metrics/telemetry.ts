/** The core's Telemetry port, implemented on the Prometheus registry. */
import type { Telemetry, TelemetryEvent, TelemetryLabels } from '../core/telemetry.js';
import { DIALECTS, type Dialect, type Metrics } from './registry.js';

/** Label values come from code, but are bounded anyway: a series per value lives forever. */
const IP_LIMITS = new Set(['downloads', 'transfer', 'speed']);
const OP = /^[a-z_]{1,32}$/;
const SCAN_STATUSES = new Set(['clean', 'infected', 'unscanned', 'error', 'unavailable']);
const MALWARE_REFUSALS = new Set([
  'virus_detected_captcha_required',
  'unavailable_for_legal_reasons',
]);

function dialectOf(labels: TelemetryLabels | undefined): Dialect | 'other' {
  const d = labels?.dialect;
  return d !== undefined && (DIALECTS as readonly string[]).includes(d) ? (d as Dialect) : 'other';
}

export class MetricsTelemetry implements Telemetry {
  constructor(private readonly m: Metrics) {}

  event(name: TelemetryEvent, labels?: TelemetryLabels): void {
    const m = this.m;
    switch (name) {
      case 'upload':
        m.uploads.labels(dialectOf(labels)).inc();
        return;
      case 'delete':
        m.deletes.labels(dialectOf(labels)).inc();
        return;
      case 'blob_store_error': {
        const op = labels?.op;
        m.blobStoreErrors.labels(op && OP.test(op) ? op : 'other').inc();
        return;
      }
      case 'captcha_challenge':
        m.captchaChallenges.inc();
        return;
      case 'captcha_solved':
        m.captchaSolutions.labels('solved').inc();
        return;
      case 'captcha_failed':
        m.captchaSolutions.labels('failed').inc();
        return;
      case 'hotlink_refused':
        m.hotlinkRefusals.inc();
        return;
      case 'ip_limit_refused': {
        const limit = labels?.limit;
        m.ipLimitRefusals.labels(limit && IP_LIMITS.has(limit) ? limit : 'other').inc();
        return;
      }
      case 'virus_scan': {
        const status = labels?.status;
        m.virusScans.labels(status && SCAN_STATUSES.has(status) ? status : 'other').inc();
        return;
      }
      case 'malware_refused': {
        const value = labels?.value;
        m.malwareRefusals.labels(value && MALWARE_REFUSALS.has(value) ? value : 'other').inc();
        return;
      }
    }
  }

  gauge(name: 'active_uploads' | 'websocket_subscribers', delta: number): void {
    if (name === 'active_uploads') this.m.activeUploads.inc(delta);
    else if (name === 'websocket_subscribers') this.m.websocketSubscribers.inc(delta);
  }
}

/**
 * What the core and the dialects report for monitoring (Prometheus at /metrics when enabled). The
 * core only names events; an adapter turns them into metrics. The default does nothing, so
 * reporting costs nothing when metrics are off.
 */
export type TelemetryEvent =
  /** An upload stored a file (labels: dialect). */
  | 'upload'
  /** A file was deleted (labels: dialect). */
  | 'delete'
  /** A blob store operation failed (labels: op). */
  | 'blob_store_error'
  /** A captcha challenge was handed out. */
  | 'captcha_challenge'
  /** A captcha solution was accepted. */
  | 'captcha_solved'
  /** A captcha solution was refused (bad, expired or replayed). */
  | 'captcha_failed'
  /** A download was refused by the hotlink rule. */
  | 'hotlink_refused'
  /** A download was refused or slowed by a per-IP limit (labels: limit = downloads|transfer|speed). */
  | 'ip_limit_refused'
  /**
   * A virus scan ended (labels: status = clean|infected|unscanned|error), or could not start
   * (status = unavailable: the scanner could not be reached).
   */
  | 'virus_scan'
  /** A download of an infected file was refused (labels: value = the refusal). */
  | 'malware_refused';

export type TelemetryLabels = Readonly<Record<string, string>>;

export interface Telemetry {
  /** Count one event. */
  event(name: TelemetryEvent, labels?: TelemetryLabels): void;
  /** A gauge that goes up and down (active uploads, websocket subscribers). */
  gauge(name: 'active_uploads' | 'websocket_subscribers', delta: number): void;
}

export const noTelemetry: Telemetry = {
  event() {},
  gauge() {},
};

export {
  ScanService,
  type OpenBlob,
  type ScanCounts,
  type ScanServiceOptions,
} from './scan-service.js';
export { ScanSweep, SCAN_SWEEP_LOCK, type ScanSweepOptions } from './sweep.js';
export type { BlobToScan, ScanRepository, ScanResult } from './records.js';
export {
  ScannerUnavailable,
  type ScanStatus,
  type ScanVerdict,
  type VirusScanner,
} from './scanner.js';

/** Prometheus metrics (STOWAGE_METRICS): the registry, the Telemetry adapter, cluster aggregation. */
export { Metrics, DIALECTS, type Dialect } from './registry.js';
export { MetricsTelemetry } from './telemetry.js';
export { ReportingBlobStore } from './blob-store.js';
export { ClusterMetricsPrimary, ClusterMetricsWorker } from './cluster.js';

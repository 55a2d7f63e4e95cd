/** The HTTP side of metrics: per-request hooks, the /metrics route, the separate port. */
export { addMetricsHooks, inDialect } from './hooks.js';
export {
  addMetricsRoute,
  bearerMatches,
  startMetricsServer,
  type MetricsServer,
  type Scrape,
} from './route.js';

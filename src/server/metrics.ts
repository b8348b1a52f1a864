// Prometheus metrics with prom-client, in a registry of the server's own (so several servers in
// one test process never share counters). Values are outcomes and change names, never pod data.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CHANGE_NAMES } from '../rules/types.js';

export interface Metrics {
  registry: Registry;
  reviews: Counter<'result'>;
  changes: Counter<'change'>;
  invalidRequests: Counter<'status'>;
  duration: Histogram<'result'>;
  limitRangeAdjustments: Counter<'action' | 'resource'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'runner_defaults_' });
  const reviews = new Counter({
    name: 'runner_defaults_reviews_total',
    help: 'AdmissionReviews answered, by result: patched, unchanged, skipped, error (allowed unchanged because the pod could not be read)',
    labelNames: ['result'],
    registers: [registry],
  });
  const changes = new Counter({
    name: 'runner_defaults_changes_total',
    help: 'Defaults added to pods, by change name',
    labelNames: ['change'],
    registers: [registry],
  });
  const invalidRequests = new Counter({
    name: 'runner_defaults_invalid_requests_total',
    help: 'Requests to /mutate refused with a 4xx before any review, by HTTP status',
    labelNames: ['status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'runner_defaults_review_duration_seconds',
    help: 'Time from a /mutate request to its answer, body read included',
    labelNames: ['result'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [registry],
  });
  const limitRangeAdjustments = new Counter({
    name: 'runner_defaults_limit_range_adjustments_total',
    help: "Init-container defaults moved inside the namespace's LimitRange (adjusted) or left out because nothing fits (skipped), by resource",
    labelNames: ['action', 'resource'],
    registers: [registry],
  });
  for (const result of ['patched', 'unchanged', 'skipped', 'error']) reviews.inc({ result }, 0);
  for (const change of CHANGE_NAMES) changes.inc({ change }, 0);
  for (const action of ['adjusted', 'skipped']) for (const resource of ['cpu', 'memory']) limitRangeAdjustments.inc({ action, resource }, 0);
  return { registry, reviews, changes, invalidRequests, duration, limitRangeAdjustments };
}

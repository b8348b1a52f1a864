// Prometheus metrics with prom-client, in a registry of the server's own (so several servers in
// one test process never share counters). Values are outcomes and change names, never pod data.
import { X509Certificate } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { OUTCOMES, type Outcome } from '../admission/decide.js';
import { CHANGE_NAMES, type ChangeName } from '../rules/types.js';

export interface Metrics {
  registry: Registry;
  /** Reviews answered, by outcome; the review path adds to these numbers (see `tallied`). */
  reviews: Record<Outcome, number>;
  /** Defaults added, by change name; as above. */
  changes: Record<ChangeName, number>;
  invalidRequests: Counter<'status'>;
  duration: Histogram<'result'>;
  limitRangeAdjustments: Counter<'action' | 'resource'>;
  /** Sets the serving certificate's expiry from the certificate in use (its PEM). */
  certificateInUse(certificatePem: Buffer): void;
}

interface CounterText {
  name: string;
  help: string;
  label: string;
}

/**
 * A counter whose label values are all known up front, kept as plain numbers that the review
 * path adds to and prom-client reads when /metrics is scraped. prom-client's inc() hashes and
 * validates its labels on every call, and a review made five of them: about 2 us in a loop, and
 * about 17,000 instructions a review in the server (npm run bench:instructions). Rarer counters use
 * inc() as usual.
 */
function tallied<V extends string>(registry: Registry, text: CounterText, values: readonly V[]): Record<V, number> {
  const counts = Object.fromEntries(values.map((value) => [value, 0])) as Record<V, number>;
  new Counter({
    name: text.name,
    help: text.help,
    labelNames: [text.label],
    registers: [registry],
    collect() {
      this.reset();
      for (const value of values) this.inc({ [text.label]: value }, counts[value]);
    },
  });
  return counts;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'runner_defaults_' });
  const reviews = tallied(
    registry,
    {
      name: 'runner_defaults_reviews_total',
      help: 'AdmissionReviews answered, by result: patched, unchanged, skipped, error (allowed unchanged because the pod could not be read)',
      label: 'result',
    },
    OUTCOMES,
  );
  const changes = tallied(registry, { name: 'runner_defaults_changes_total', help: 'Defaults added to pods, by change name', label: 'change' }, CHANGE_NAMES);
  const invalidRequests = new Counter({
    name: 'runner_defaults_invalid_requests_total',
    help: 'Requests to /mutate answered without a review, by HTTP status: a 4xx refused the request, a 500 is our own failure',
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
  for (const action of ['adjusted', 'skipped']) for (const resource of ['cpu', 'memory']) limitRangeAdjustments.inc({ action, resource }, 0);
  // Nothing else says the certificate is about to expire; once it has, the API server cannot call
  // the webhook, and with failurePolicy Ignore pods are created without their defaults, silently.
  const certificateExpiry = new Gauge({
    name: 'runner_defaults_serving_certificate_expiry_timestamp_seconds',
    help: 'When the serving certificate in use expires, in Unix time: alert well before it (certs --apply renews it within 30 days of it)',
    registers: [registry],
  });
  const certificateInUse = (certificatePem: Buffer): void => certificateExpiry.set(Date.parse(new X509Certificate(certificatePem).validTo) / 1000);
  return { registry, reviews, changes, invalidRequests, duration, limitRangeAdjustments, certificateInUse };
}

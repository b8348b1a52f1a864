// Wraps the review endpoint with its log line and its metrics, so neither is threaded through
// the handler. One line per review: uid, namespace, name, operation, dry run, result, changes,
// reason, LimitRange adjustments (container, resource, amounts) and duration; never the pod, its
// env, its args or any annotation's value.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { describeAdjustment } from '../rules/types.js';
import type { Metrics } from './metrics.js';
import type { ReviewRecord } from './review-endpoint.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<ReviewRecord>;

function podName(record: ReviewRecord): string {
  const metadata = (record.request?.object as { metadata?: { name?: unknown; generateName?: unknown } } | undefined)?.metadata;
  if (record.request?.name) return record.request.name;
  if (typeof metadata?.name === 'string') return metadata.name;
  return typeof metadata?.generateName === 'string' ? `${metadata.generateName}*` : '';
}

export function observed(handler: Handler, logger: Logger, metrics: Metrics) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    void handler(req, res).then((record) => {
      const durationMs = +(performance.now() - started).toFixed(3);
      const { request, decision } = record;
      if (!request || !decision) {
        metrics.invalidRequests.inc({ status: String(record.status) });
        logger.warn({ status: record.status, error: record.error, durationMs }, 'review refused');
        return;
      }
      metrics.reviews[decision.outcome]++;
      for (const change of decision.changes) metrics.changes[change]++;
      for (const { action, resource } of decision.adjustments) metrics.limitRangeAdjustments.inc({ action, resource });
      metrics.duration.observe({ result: decision.outcome }, durationMs / 1000);
      const line = {
        uid: request.uid,
        namespace: request.namespace,
        name: podName(record),
        operation: request.operation,
        dryRun: request.dryRun,
        result: decision.outcome,
        changes: decision.changes,
        reason: decision.reason,
        ...(decision.adjustments.length > 0
          ? { limitRange: decision.adjustments.map(describeAdjustment) }
          : {}),
        durationMs,
      };
      if (decision.outcome === 'error') logger.warn(line, 'review');
      else logger.info(line, 'review');
    });
  };
}

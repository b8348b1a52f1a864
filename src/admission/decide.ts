// The admission decision: whether a request is one we act on (CREATE of a core/v1 pod, no
// sub-resource, matching the runner selector, not opted out) and, if so, what the rules add.
// Never a denial: anything we cannot read is allowed unchanged, with the reason for the log.
import { optedOut } from '../rules/annotations.js';
import type { ChangeName, LimitRangeAdjustment, Pod, RuleContext } from '../rules/types.js';
import { matchesSelector, selectorToString } from '../rules/selector.js';
import type { Operation } from 'fast-json-patch';
import { mutatePod } from './patch.js';
import { assertReadablePod } from './readable-pod.js';
import type { AdmissionRequest } from './request.js';

/** How a review ended, as the metrics and logs count it. */
export const OUTCOMES = ['patched', 'unchanged', 'skipped', 'error'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface Decision {
  outcome: Outcome;
  /** Why it was skipped or could not be read; free of pod values other than names. */
  reason?: string;
  changes: ChangeName[];
  patch: Operation[];
  /**
   * Sentences describing each change, for dry-run warnings and the offline command; also, with
   * any outcome, each default left out because the namespace's LimitRange has no room for it.
   */
  details: string[];
  /** Defaults moved or left out because of a LimitRange, for the log line and the metrics. */
  adjustments: LimitRangeAdjustment[];
  /** The pod after the patch, or the request's object when nothing changed. */
  patched: unknown;
}

const unchanged = (outcome: Outcome, object: unknown, reason?: string): Decision => ({
  outcome,
  reason,
  changes: [],
  patch: [],
  details: [],
  adjustments: [],
  patched: object,
});

export function decide(request: AdmissionRequest, context: RuleContext): Decision {
  const { kind, resource, object } = request;
  if (request.operation !== 'CREATE') return unchanged('skipped', object, `operation ${request.operation || '(none)'} is not CREATE`);
  if (resource.group !== '' || resource.resource !== 'pods' || kind.kind !== 'Pod' || kind.group !== '') {
    return unchanged('skipped', object, 'not a core/v1 pod');
  }
  if (request.subResource !== '') return unchanged('skipped', object, `sub-resource ${request.subResource}`);
  try {
    assertReadablePod(object);
  } catch (error) {
    return unchanged('error', object, `cannot read pod: ${(error as Error).message}`);
  }
  const pod: Pod = object;
  if (!matchesSelector(pod.metadata?.labels, context.config.selector)) {
    return unchanged('skipped', object, `labels do not match ${selectorToString(context.config.selector)}`);
  }
  if (optedOut(pod)) return unchanged('skipped', object, 'opted out by annotation');
  const result = mutatePod(pod, context);
  const details = result.changes.flatMap((change) => change.details);
  const adjustments = result.changes.some((change) => change.adjustments) ? result.changes.flatMap((change) => change.adjustments ?? []) : [];
  if (result.patch.length === 0) {
    const skipped = adjustments.some((adjustment) => adjustment.action === 'skipped');
    const reason = skipped ? 'the pod has every default the LimitRange leaves room for' : 'the pod already has every default';
    return { ...unchanged('unchanged', object, reason), details, adjustments };
  }
  return {
    outcome: 'patched',
    changes: result.changes.filter((change) => change.edited !== false).map((change) => change.name),
    patch: result.patch,
    details,
    adjustments,
    patched: result.patched,
  };
}

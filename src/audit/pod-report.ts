// The per-pod verdict of `audit`: what the webhook recorded on a listed pod, whether it opted out,
// and which defaults it lacks now. "Lacks" is the webhook's own decision on the pod, run as if it
// were being created (decide + podCreateRequest), so the audit and the webhook cannot disagree.
// A row keeps only names and change lists: never the pod itself.
import { decide } from '../admission/decide.js';
import { podCreateRequest } from '../admission/request.js';
import { appliedChanges, optedOut, SKIP_ANNOTATION } from '../rules/annotations.js';
import type { LimitRange } from '../rules/limit-ranges.js';
import { CHANGE_NAMES, describeAdjustment, type ChangeName, type Pod, type RuleContext } from '../rules/types.js';

export interface PodRow {
  namespace: string;
  name: string;
  /** creationTimestamp in milliseconds since the epoch; undefined when the pod has none. */
  createdMs: number | undefined;
  /** What the webhook's applied annotation says it added. */
  applied: ChangeName[];
  optedOut: boolean;
  /** What the webhook would add if the pod were created now (for an opted-out pod: were it not opted out). */
  missing: ChangeName[];
  /** Why the rules could not read the pod (the webhook would allow it unchanged). */
  unreadable?: string;
  /**
   * For a pod lacking init-container resources: how its namespace's LimitRanges would shape them.
   * With `skipped` for every key it lacks, `missing` no longer names init-resources.
   */
  limitRange?: LimitRangeNote;
}

/**
 * `none`: no LimitRange in the namespace bounds them (the plain defaults fit); `adjusted`: the
 * webhook would fit some default inside a LimitRange; `skipped`: it would leave some default out,
 * as nothing fits; `unknown`: the LimitRanges could not be listed. `adjustments` says which.
 */
export interface LimitRangeNote {
  effect: 'none' | 'adjusted' | 'skipped' | 'unknown';
  adjustments: string[];
}

/**
 * The row of a pod that lacks init-container resources, with its namespace's LimitRanges taken
 * into account (undefined: they could not be listed): the note says how they shape the defaults,
 * and `missing` becomes what the webhook, which fits its defaults inside them, would add. A pod
 * whose LimitRanges leave room for none of the missing keys lacks nothing the webhook could add.
 */
export function withLimitRanges(row: PodRow, pod: Pod, context: RuleContext, limitRanges: readonly LimitRange[] | undefined): PodRow {
  if (limitRanges === undefined) return { ...row, limitRange: { effect: 'unknown', adjustments: [] } };
  if (limitRanges.length === 0) return { ...row, limitRange: { effect: 'none', adjustments: [] } };
  const { adjustments, changes } = decide(podCreateRequest((optedOut(pod) ? withoutSkip(pod) : pod) as Record<string, unknown>), { ...context, limitRanges });
  const effect = adjustments.some((adjustment) => adjustment.action === 'skipped') ? 'skipped' : adjustments.length > 0 ? 'adjusted' : 'none';
  return { ...row, missing: changes, limitRange: { effect, adjustments: adjustments.map(describeAdjustment) } };
}

export function podReport(pod: Pod, context: RuleContext): PodRow {
  const metadata = pod.metadata ?? {};
  const skipped = optedOut(pod);
  // V1ObjectMeta types it as a Date (what the model classes make); on the wire it is an RFC 3339 string.
  const created = Date.parse(String(metadata.creationTimestamp ?? ''));
  const decision = decide(podCreateRequest((skipped ? withoutSkip(pod) : pod) as Record<string, unknown>), context);
  return {
    namespace: metadata.namespace ?? '',
    name: metadata.name ?? '',
    createdMs: Number.isNaN(created) ? undefined : created,
    applied: appliedChanges(pod),
    optedOut: skipped,
    missing: decision.changes,
    ...(decision.outcome === 'error' ? { unreadable: decision.reason } : {}),
  };
}

/** A shallow copy that differs only in lacking the skip annotation (the rules never edit their input). */
function withoutSkip(pod: Pod): Pod {
  const annotations = { ...pod.metadata?.annotations };
  delete annotations[SKIP_ANNOTATION];
  return { ...pod, metadata: { ...pod.metadata, annotations } };
}

export interface AuditSummary {
  /** Runner pods listed. */
  pods: number;
  /** Pods whose applied annotation names at least one default. */
  patched: number;
  /** Pods, not opted out, that have every default (patched or made so by hand). */
  compliant: number;
  /** Pods annotated skip: "true", whatever they lack. */
  optedOut: number;
  /** Pods, not opted out, that lack at least one default. */
  missingDefaults: number;
  /** Pods the rules could not read (the webhook allows those unchanged). */
  unreadable: number;
  /** For each default, how many pods (not opted out) lack it. */
  missing: Record<ChangeName, number>;
}

export function emptySummary(): AuditSummary {
  const missing = Object.fromEntries(CHANGE_NAMES.map((name) => [name, 0])) as Record<ChangeName, number>;
  return { pods: 0, patched: 0, compliant: 0, optedOut: 0, missingDefaults: 0, unreadable: 0, missing };
}

export function countRow(summary: AuditSummary, row: PodRow): void {
  summary.pods += 1;
  if (row.applied.length > 0) summary.patched += 1;
  if (row.optedOut) summary.optedOut += 1;
  else if (row.unreadable !== undefined) summary.unreadable += 1;
  else if (row.missing.length === 0) summary.compliant += 1;
  else {
    summary.missingDefaults += 1;
    for (const name of row.missing) summary.missing[name] += 1;
  }
}

// What a rule is: a pure function that edits a copy of the pod and names the change it made.
// Rules know nothing of HTTP, JSON Patch or logs; src/admission/ turns their edits into a patch.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { Config } from '../config.js';
import type { LimitRange } from './limit-ranges.js';

/** The change names written to the applied annotation; sorted, as the annotation lists them. */
export const CHANGE_NAMES = ['init-resources', 'liveness-probe', 'readiness-probe', 'restart-policy'] as const;
export type ChangeName = (typeof CHANGE_NAMES)[number];

export interface Change {
  name: ChangeName;
  /** One sentence per thing done, for dry-run warnings. They may name containers, never env or args. */
  details: string[];
  /** Defaults moved or left out to fit the namespace's LimitRanges (init-resources only). */
  adjustments?: LimitRangeAdjustment[];
  /** False when the rule edited nothing and reports only adjustments (every key it wanted was skipped). */
  edited?: boolean;
}

/** A default moved inside a LimitRange (`adjusted`), or not added because nothing fits (`skipped`). */
export interface LimitRangeAdjustment {
  action: 'adjusted' | 'skipped';
  /** The resource name: cpu or memory. */
  resource: string;
  /** The init container's name; absent when it is every init container (a pod with too many to fit). */
  container?: string;
  /** What moved and why, or why nothing fits; names and amounts only. */
  reason: string;
}

/** One adjustment in words, as the review log line and audit give it. */
export function describeAdjustment({ action, container, resource, reason }: LimitRangeAdjustment): string {
  return `${action} ${resource} of ${container === undefined ? 'every init container' : `init container "${container}"`}: ${reason}`;
}

/** Everything a rule may consult besides the pod. */
export interface RuleContext {
  config: Config;
  /**
   * The LimitRanges that apply to the pod (its namespace's); none or absent means plain defaults.
   * The caller chooses them (serve from its informer, mutate from a file); rules never fetch.
   */
  limitRanges?: readonly LimitRange[];
}

/** A pod as the API server sends it: plain JSON in the client library's shape (its types only, never its classes). */
export type Pod = V1Pod;
export type Container = V1Container;
/** The editable copy rules work on (see editable-copy.ts for what they may change). */
export type PodDraft = Pod;

export type Rule = (pod: PodDraft, context: RuleContext) => Change | undefined;

// What a rule is: a pure function that edits a copy of the pod and names the change it made.
// Rules know nothing of HTTP, JSON Patch or logs; src/admission/ turns their edits into a patch.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { Config } from '../config.js';

/** The change names written to the applied annotation; sorted, as the annotation lists them. */
export const CHANGE_NAMES = ['init-resources', 'liveness-probe', 'readiness-probe', 'restart-policy'] as const;
export type ChangeName = (typeof CHANGE_NAMES)[number];

export interface Change {
  name: ChangeName;
  /** One sentence per thing done, for dry-run warnings. They may name containers, never env or args. */
  details: string[];
}

/** Everything a rule may consult besides the pod. */
export interface RuleContext {
  config: Config;
}

/** A pod as the API server sends it: plain JSON in the client library's shape (its types only, never its classes). */
export type Pod = V1Pod;
export type Container = V1Container;
/** The editable copy rules work on (see editable-copy.ts for what they may change). */
export type PodDraft = Pod;

export type Rule = (pod: PodDraft, context: RuleContext) => Change | undefined;

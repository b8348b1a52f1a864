// The rules in the order they run, and the one function that runs them all over a draft pod.
// Order matters: the restart policy looks at the liveness probe the probe rules may just have added.
import { recordChanges } from './annotations.js';
import { initResources } from './init-resources.js';
import { livenessProbe, readinessProbe } from './probes.js';
import { restartPolicy } from './restart-policy.js';
import type { Change, PodDraft, Rule, RuleContext } from './types.js';

export const RULES: readonly Rule[] = [readinessProbe, livenessProbe, restartPolicy, initResources];

/**
 * Runs every rule on the draft; records what changed in the applied annotation. Returns every
 * change, sorted; one with `edited: false` only reports (defaults left out for a LimitRange's sake).
 */
export function applyRules(pod: PodDraft, context: RuleContext): Change[] {
  const changes: Change[] = [];
  for (const rule of RULES) {
    const change = rule(pod, context);
    if (change) changes.push(change);
  }
  const edited = changes.filter((change) => change.edited !== false);
  if (edited.length > 0) recordChanges(pod, edited.map((change) => change.name));
  return changes.sort((a, b) => (a.name < b.name ? -1 : 1));
}

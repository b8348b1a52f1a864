// Runs the rules on an editable copy of the pod and derives the RFC 6902 patch once, from the
// original and the edited copy, so escaping and missing parents are handled in one place.
import type { Operation } from 'fast-json-patch';
import { editableCopy } from '../rules/editable-copy.js';
import { applyRules } from '../rules/index.js';
import type { Change, Pod, RuleContext } from '../rules/types.js';
import { diff } from './json-diff.js';

export interface RuleResult {
  /** Every change the rules named, including report-only ones (`edited: false`). */
  changes: Change[];
  patch: Operation[];
  /** The pod with the patch applied (it shares unchanged parts with the original). */
  patched: Pod;
}

export function mutatePod(pod: Pod, context: RuleContext): RuleResult {
  const edited = editableCopy(pod);
  const changes = applyRules(edited, context);
  if (changes.every((change) => change.edited === false)) return { changes, patch: [], patched: pod };
  return { changes, patch: diff(pod, edited), patched: edited };
}

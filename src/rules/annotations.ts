// The annotation contract (DESIGN.md): `skip: "true"` opts a pod out, and `applied` records,
// sorted and comma-separated, every change the webhook made to the pod.
import { CHANGE_NAMES, type ChangeName, type Pod, type PodDraft } from './types.js';

export const ANNOTATION_DOMAIN = 'runner-defaults.ambient-code.io';
export const SKIP_ANNOTATION = `${ANNOTATION_DOMAIN}/skip`;
export const APPLIED_ANNOTATION = `${ANNOTATION_DOMAIN}/applied`;

export function optedOut(pod: Pod): boolean {
  return pod.metadata?.annotations?.[SKIP_ANNOTATION] === 'true';
}

/** The change names an existing applied annotation lists (unknown words are dropped). */
export function appliedChanges(pod: Pod): ChangeName[] {
  const value = pod.metadata?.annotations?.[APPLIED_ANNOTATION];
  if (typeof value !== 'string') return [];
  const words = new Set(value.split(',').map((word) => word.trim()));
  return CHANGE_NAMES.filter((name) => words.has(name));
}

/**
 * Writes the applied annotation: this call's changes joined with those an earlier call recorded
 * (the API server may reinvoke us after another webhook added, say, an init container).
 */
export function recordChanges(pod: PodDraft, changes: readonly ChangeName[]): void {
  const all = new Set<ChangeName>([...appliedChanges(pod as Pod), ...changes]);
  const value = CHANGE_NAMES.filter((name) => all.has(name)).join(',');
  const metadata = (pod.metadata ??= {});
  (metadata.annotations ??= {})[APPLIED_ANNOTATION] = value;
}

// The restart-policy rule: a liveness probe can only restart a container when the pod's
// restartPolicy lets it, so Never becomes the configured target (OnFailure by default, so a
// runner that exits 0 still reaches Succeeded). Pods owned by a Job are left alone: the Job
// controller counts failures by pod phase, and OnFailure would hide them from it.
import type { Pod, PodDraft, Rule } from './types.js';

export const restartPolicy: Rule = (pod, { config }) => {
  const target = config.restartPolicy;
  if (target === 'keep' || pod.spec?.restartPolicy !== 'Never' || ownedByJob(pod)) return undefined;
  if (!pod.spec.containers?.some((container) => container.livenessProbe != null)) return undefined;
  pod.spec.restartPolicy = target;
  return { name: 'restart-policy', details: [`set restartPolicy Never -> ${target} so a liveness probe can restart the runner`] };
};

export function ownedByJob(pod: Pod | PodDraft): boolean {
  return (pod.metadata?.ownerReferences ?? []).some(
    (owner) => owner?.kind === 'Job' && typeof owner.apiVersion === 'string' && owner.apiVersion.startsWith('batch/'),
  );
}

// Runner pods as a cluster lists them, built from the fixtures: a bare legacy pod, the same pod
// as the webhook patched it (its real patch, applied), an opted-out pod, a partly compliant one,
// one made compliant by hand without the webhook, and a pod that is not a runner at all.
import { decide } from '../../src/admission/decide.js';
import { podCreateRequest } from '../../src/admission/request.js';
import { defaultConfig } from '../../src/config.js';
import type { Pod } from '../../src/rules/types.js';
import { applyStrict, INIT_RESOURCES, LIVENESS, loadPod, READINESS, type POD_FIXTURES } from './fixtures.js';

const SECOND = 1000;
const HOUR = 3600 * SECOND;

/** The wire form of a timestamp: RFC 3339, whole seconds. */
export const timestamp = (ms: number) => new Date(Math.floor(ms / SECOND) * SECOND).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A fixture pod as the API server lists it: named, created at a time, with a uid and a status. */
export function listed(fixture: (typeof POD_FIXTURES)[number] | Pod, namespace: string, name: string, createdMs: number): Pod {
  const pod = typeof fixture === 'string' ? loadPod(fixture) : structuredClone(fixture);
  pod.metadata = { ...pod.metadata, namespace, name, uid: `uid-${namespace}-${name}`, resourceVersion: '1001' };
  (pod.metadata as Record<string, unknown>).creationTimestamp = timestamp(createdMs);
  (pod as Record<string, unknown>).status = { phase: 'Running', podIP: '10.0.0.7' };
  return pod;
}

/** The legacy pod after the webhook's own patch, as the API server would have stored it. */
export function patchedLegacy(): Pod {
  const legacy = loadPod('runner-legacy');
  return applyStrict(legacy, decide(podCreateRequest(legacy as Record<string, unknown>), { config: defaultConfig }).patch);
}

/** The legacy pod given every default by hand: no applied annotation, nothing missing. */
export function compliantByHand(): Pod {
  const pod = loadPod('runner-legacy');
  const runner = pod.spec?.containers[0];
  if (!runner || !pod.spec?.initContainers?.[0]) throw new Error('runner-legacy fixture changed shape');
  runner.readinessProbe = { ...READINESS('agui'), periodSeconds: 10 };
  runner.livenessProbe = LIVENESS('agui');
  pod.spec.restartPolicy = 'OnFailure';
  pod.spec.initContainers[0].resources = structuredClone(INIT_RESOURCES);
  return pod;
}

/** The mixed cluster of the audit tests, in the API's order (namespace, name); `now` fixes the creation times. */
export function mixedCluster(now: number): Pod[] {
  return [
    listed('runner-legacy', 'team-alpha', 'session-1-runner', now - 5 * 24 * HOUR),
    listed(patchedLegacy(), 'team-alpha', 'session-2-runner', now - 3 * HOUR),
    listed('runner-opted-out', 'team-alpha', 'session-3-runner', now - 12 * 60 * SECOND),
    listed('non-runner', 'team-alpha', 'web-7d9c', now - 3 * HOUR),
    listed('runner-current', 'team-beta', 'session-4-runner', now - 20 * HOUR),
    listed(compliantByHand(), 'team-beta', 'session-5-runner', now - 45 * SECOND),
  ];
}

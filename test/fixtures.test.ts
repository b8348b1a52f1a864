// Every fixture pod and review: the exact patched pod, the exact applied annotation, a patch that
// applies strictly to the request's object and gives that pod, and no patch the second time.
import { describe, expect, it } from 'vitest';
import { decide } from '../src/admission/decide.js';
import { podCreateRequest, readAdmissionReview } from '../src/admission/request.js';
import { review } from '../src/admission/review.js';
import { defaultConfig } from '../src/config.js';
import type { Pod } from '../src/rules/types.js';
import {
  APPLIED,
  INIT_RESOURCES,
  LIVENESS,
  READINESS,
  applyStrict,
  decodePatch,
  loadPod,
  loadReview,
  type POD_FIXTURES,
} from './helpers/fixtures.js';

const context = { config: defaultConfig };

/** The fixture with what the webhook must add, written out by hand. */
function expectedPod(name: (typeof POD_FIXTURES)[number]): Pod | undefined {
  const pod = loadPod(name);
  const spec = pod.spec!;
  const runner = spec.containers[0]!;
  const all = (port: string) => {
    runner.readinessProbe = READINESS(port);
    runner.livenessProbe = LIVENESS(port);
    spec.restartPolicy = 'OnFailure';
  };
  switch (name) {
    case 'runner-legacy':
    case 'runner-custom-port':
      all('agui');
      spec.initContainers![0]!.resources = structuredClone(INIT_RESOURCES);
      pod.metadata!.annotations = { [APPLIED]: 'init-resources,liveness-probe,readiness-probe,restart-policy' };
      return pod;
    case 'runner-current':
      spec.restartPolicy = 'OnFailure';
      spec.initContainers![0]!.resources = structuredClone(INIT_RESOURCES);
      pod.metadata!.annotations = { [APPLIED]: 'init-resources,restart-policy' };
      return pod;
    case 'runner-no-persistence':
      all('agui');
      pod.metadata!.annotations = { [APPLIED]: 'liveness-probe,readiness-probe,restart-policy' };
      return pod;
    case 'runner-opted-out':
    case 'non-runner':
      return undefined;
  }
}

describe('fixture pods through the offline path', () => {
  it.each([
    ['runner-legacy', 'patched', ['init-resources', 'liveness-probe', 'readiness-probe', 'restart-policy']],
    ['runner-custom-port', 'patched', ['init-resources', 'liveness-probe', 'readiness-probe', 'restart-policy']],
    ['runner-current', 'patched', ['init-resources', 'restart-policy']],
    ['runner-no-persistence', 'patched', ['liveness-probe', 'readiness-probe', 'restart-policy']],
    ['runner-opted-out', 'skipped', []],
    ['non-runner', 'skipped', []],
  ] as const)('%s is %s with changes %j, exactly as written out by hand', (name, outcome, changes) => {
    const original = loadPod(name);
    const decision = decide(podCreateRequest(original as Record<string, unknown>), context);
    expect(decision.outcome).toBe(outcome);
    expect(decision.changes).toEqual(changes);
    const expected = expectedPod(name) ?? loadPod(name);
    expect(decision.patched).toStrictEqual(expected);
    expect(applyStrict(original, decision.patch)).toStrictEqual(expected);
    expect(original).toStrictEqual(loadPod(name));
  });

  it.each(['runner-legacy', 'runner-custom-port', 'runner-current', 'runner-no-persistence'] as const)(
    '%s, once patched and sent again, yields no patch',
    (name) => {
      const first = decide(podCreateRequest(loadPod(name) as Record<string, unknown>), context);
      const again = decide(podCreateRequest(first.patched as Record<string, unknown>), context);
      expect(again.outcome).toBe('unchanged');
      expect(again.patch).toEqual([]);
    },
  );

  it('the custom-port runner is probed through the port name, which resolves to 9090', () => {
    const decision = decide(podCreateRequest(loadPod('runner-custom-port') as Record<string, unknown>), context);
    const runner = (decision.patched as Pod).spec!.containers[0]!;
    expect(runner.readinessProbe?.httpGet?.port).toBe('agui');
    expect(runner.ports).toEqual([{ name: 'agui', containerPort: 9090, protocol: 'TCP' }]);
  });
});

describe('fixture reviews through the admission path', () => {
  it.each([
    ['create-runner-legacy', 'runner-legacy'],
    ['create-runner-current', 'runner-current'],
    ['create-non-runner', 'non-runner'],
    ['dry-run-runner-legacy', 'runner-legacy'],
  ] as const)('%s answers allowed with the uid, and its patch gives the expected %s', (reviewName, podName) => {
    const body = loadReview(reviewName);
    const { answer } = review(readAdmissionReview(body), context);
    expect(answer.apiVersion).toBe('admission.k8s.io/v1');
    expect(answer.kind).toBe('AdmissionReview');
    expect(answer.response.uid).toBe(body.request.uid);
    expect(answer.response.allowed).toBe(true);
    const expected = expectedPod(podName);
    if (expected === undefined) {
      expect(answer.response).toStrictEqual({ uid: body.request.uid, allowed: true });
      return;
    }
    expect(answer.response.patchType).toBe('JSONPatch');
    expect(applyStrict(body.request.object, decodePatch(answer.response.patch))).toStrictEqual(expected);
  });

  it('the CREATE review of runner-legacy gets exactly this patch', () => {
    const { answer } = review(readAdmissionReview(loadReview('create-runner-legacy')), context);
    expect(decodePatch(answer.response.patch)).toStrictEqual([
      { op: 'add', path: '/metadata/annotations', value: { [APPLIED]: 'init-resources,liveness-probe,readiness-probe,restart-policy' } },
      { op: 'add', path: '/spec/initContainers/0/resources/limits', value: { cpu: '1', memory: '1Gi' } },
      { op: 'add', path: '/spec/initContainers/0/resources/requests', value: { cpu: '100m', memory: '128Mi' } },
      { op: 'add', path: '/spec/containers/0/readinessProbe', value: READINESS('agui') },
      { op: 'add', path: '/spec/containers/0/livenessProbe', value: LIVENESS('agui') },
      { op: 'replace', path: '/spec/restartPolicy', value: 'OnFailure' },
    ]);
    expect(answer.response.warnings).toBeUndefined();
  });

  it('the dry-run review gets the same patch as the real one, and warnings in words under 120 characters', () => {
    const real = review(readAdmissionReview(loadReview('create-runner-legacy')), context).answer.response;
    const dry = review(readAdmissionReview(loadReview('dry-run-runner-legacy')), context).answer.response;
    expect(dry.patch).toBe(real.patch);
    expect(dry.warnings).toStrictEqual([
      'runner-defaults: added requests cpu=100m memory=128Mi, limits cpu=1 memory=1Gi to init container "init-hydrate"',
      'runner-defaults: added livenessProbe GET /health on port agui to container "ambient-code-runner"',
      'runner-defaults: added readinessProbe GET /health on port agui to container "ambient-code-runner"',
      'runner-defaults: set restartPolicy Never -> OnFailure so a liveness probe can restart the runner',
    ]);
    for (const warning of dry.warnings ?? []) expect(warning.length).toBeLessThan(120);
  });

  it.each(['create-runner-legacy', 'create-runner-current', 'dry-run-runner-legacy'] as const)(
    '%s, patched and reviewed again (reinvocation), yields no patch',
    (name) => {
      const body = loadReview(name);
      const first = review(readAdmissionReview(body), context).answer.response;
      body.request.object = applyStrict(body.request.object, decodePatch(first.patch));
      const second = review(readAdmissionReview(body), context).answer.response;
      expect(second).toStrictEqual({ uid: body.request.uid, allowed: true });
    },
  );
});

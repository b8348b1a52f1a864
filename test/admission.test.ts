// AdmissionReview handling: what is read from a review, what is refused, and the exact answer
// (uid, version, patchType only with a patch, warnings only on dry runs, never a denial).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { withApiServerDefaults } from '../src/admission/pod-defaults.js';
import { ADMISSION_VERSIONS, BadReviewError, readAdmissionReview } from '../src/admission/request.js';
import { encodeAnswer } from '../src/admission/response.js';
import { review } from '../src/admission/review.js';
import { defaultConfig, type Config } from '../src/config.js';
import type { Json } from '../src/json.js';
import { decodePatch, loadReview } from './helpers/fixtures.js';
import { runnerPod } from './helpers/pods.js';

const context = { config: defaultConfig };

// Reviews are edited as loose JSON here, to put wrong types anywhere.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

function legacyReview(edit: (body: Loose) => void = () => {}) {
  const body = loadReview('create-runner-legacy') as unknown as Loose;
  edit(body);
  return body;
}

describe('reading an AdmissionReview', () => {
  it.each<[string, unknown, string]>([
    ['null', null, 'body must be a JSON object (an AdmissionReview)'],
    ['an array', [], 'body must be a JSON object (an AdmissionReview)'],
    ['a string', 'AdmissionReview', 'body must be a JSON object (an AdmissionReview)'],
    ['another kind', legacyReview((b) => (b.kind = 'Pod')), 'kind must be AdmissionReview'],
    ['an unknown version', legacyReview((b) => (b.apiVersion = 'admission.k8s.io/v2')), 'apiVersion must be one of admission.k8s.io/v1, admission.k8s.io/v1beta1'],
    ['no request', legacyReview((b) => delete b.request), 'request must be an object'],
    ['a request that is a list', legacyReview((b) => (b.request = [])), 'request must be an object'],
    ['no uid', legacyReview((b) => delete b.request.uid), 'request.uid must be a non-empty string'],
    ['an empty uid', legacyReview((b) => (b.request.uid = '')), 'request.uid must be a non-empty string'],
    ['a numeric uid', legacyReview((b) => (b.request.uid = 7)), 'request.uid must be a non-empty string'],
    ['an operation that is not a string', legacyReview((b) => (b.request.operation = 1)), 'request.operation must be a string'],
    ['a kind that is a string', legacyReview((b) => (b.request.kind = 'Pod')), 'request.kind must be an object'],
    ['a resource group that is a number', legacyReview((b) => (b.request.resource.group = 0)), 'request.resource.group must be a string'],
    ['dryRun as a string', legacyReview((b) => (b.request.dryRun = 'true')), 'request.dryRun must be a boolean'],
  ])('refuses %s with a message that says what is wrong', (_name, body, message) => {
    expect(() => readAdmissionReview(body)).toThrow(new BadReviewError(message));
  });

  it('reads the fields the decision needs from the fixture review', () => {
    const request = readAdmissionReview(loadReview('dry-run-runner-legacy'));
    expect({ ...request, object: undefined }).toStrictEqual({
      uid: '9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d',
      apiVersion: 'admission.k8s.io/v1',
      operation: 'CREATE',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      subResource: '',
      namespace: 'team-alpha',
      name: 'session-1732-runner',
      dryRun: true,
      object: undefined,
    });
  });
});

describe('the answer', () => {
  it.each<[string, (body: Loose) => void, string]>([
    ['an UPDATE', (b) => (b.request.operation = 'UPDATE'), 'operation UPDATE is not CREATE'],
    ['a DELETE', (b) => (b.request.operation = 'DELETE'), 'operation DELETE is not CREATE'],
    ['a CONNECT to pods/exec', (b) => ((b.request.operation = 'CONNECT'), (b.request.subResource = 'exec')), 'operation CONNECT is not CREATE'],
    ['a CREATE of pods/binding', (b) => (b.request.subResource = 'binding'), 'sub-resource binding'],
    ['a CREATE of pods/eviction', (b) => (b.request.subResource = 'eviction'), 'sub-resource eviction'],
    ['a ConfigMap', (b) => ((b.request.kind.kind = 'ConfigMap'), (b.request.resource.resource = 'configmaps')), 'not a core/v1 pod'],
    ['a pod-like resource in another group', (b) => (b.request.resource.group = 'example.com'), 'not a core/v1 pod'],
  ])('allows %s unchanged, with no patch and no patchType', (_name, edit, reason) => {
    const { answer, decision } = review(readAdmissionReview(legacyReview(edit)), context);
    expect(answer.response).toStrictEqual({ uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: true });
    expect(decision.outcome).toBe('skipped');
    expect(decision.reason).toBe(reason);
  });

  it.each<[string, unknown, string]>([
    ['no object', undefined, 'cannot read pod: object is not an object'],
    ['an object that is a list', [], 'cannot read pod: object is not an object'],
    ['a Service in a pods request', { kind: 'Service', spec: {} }, 'cannot read pod: object.kind is not Pod'],
    ['no spec', { metadata: {} }, 'cannot read pod: spec is not an object'],
    ['containers that are not a list', { spec: { containers: {} } }, 'cannot read pod: spec.containers is not a list'],
    ['a container that is a string', { spec: { containers: ['runner'] } }, 'cannot read pod: spec.containers[0] is not an object'],
    ['a container with a numeric name', { spec: { containers: [{ name: 1 }] } }, 'cannot read pod: spec.containers[0].name is not a string'],
    ['ports that are a string', { spec: { containers: [{ name: 'a', ports: '80' }] } }, 'cannot read pod: spec.containers[0].ports is not a list'],
    ['labels with a numeric value', { metadata: { labels: { app: 1 } }, spec: {} }, 'cannot read pod: metadata.labels.app is not a string'],
    ['annotations that are a list', { metadata: { annotations: [] }, spec: {} }, 'cannot read pod: metadata.annotations is not an object'],
    ['a restartPolicy that is a number', { spec: { restartPolicy: 0 } }, 'cannot read pod: spec.restartPolicy is not a string'],
    [
      'init resources that are a list',
      { spec: { initContainers: [{ name: 'i', resources: { limits: [] } }] } },
      'cannot read pod: spec.initContainers[0].resources.limits is not an object',
    ],
    [
      'an init request that is an object',
      { spec: { initContainers: [{ name: 'i', resources: { requests: { cpu: {} } } }] } },
      'cannot read pod: spec.initContainers[0].resources.requests.cpu is not a quantity',
    ],
  ])('allows a pod with %s unchanged, and gives the reason for the log', (_name, object, reason) => {
    const { answer, decision } = review(readAdmissionReview(legacyReview((b) => (b.request.object = object))), context);
    expect(answer.response).toStrictEqual({ uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: true });
    expect(decision.outcome).toBe('error');
    expect(decision.reason).toBe(reason);
  });

  it('answers v1beta1 in v1beta1, with the same patch', () => {
    const v1 = review(readAdmissionReview(legacyReview()), context).answer;
    const v1beta1 = review(readAdmissionReview(legacyReview((b) => (b.apiVersion = 'admission.k8s.io/v1beta1'))), context).answer;
    expect(v1beta1.apiVersion).toBe('admission.k8s.io/v1beta1');
    expect(v1beta1.kind).toBe('AdmissionReview');
    expect(v1beta1.response.patch).toBe(v1.response.patch);
    expect(v1beta1.response.patchType).toBe('JSONPatch');
  });

  it('a rule that throws still answers allowed with the uid, and the error is the reason', () => {
    const broken = new Proxy(defaultConfig, {
      get: (target, key) => {
        if (key === 'readinessProbe') throw new Error('boom');
        return target[key as keyof Config];
      },
    });
    const { answer, decision } = review(readAdmissionReview(legacyReview()), { config: broken });
    expect(answer.response).toStrictEqual({ uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: true });
    expect(decision).toMatchObject({ outcome: 'error', reason: 'internal error: boom' });
  });

  it('on a dry run of an opted-out pod, the warning says why nothing was added', () => {
    const pod = runnerPod({ metadata: { labels: { app: 'ambient-code-runner' }, annotations: { 'runner-defaults.ambient-code.io/skip': 'true' } } });
    const { answer } = review(readAdmissionReview(legacyReview((b) => ((b.request.dryRun = true), (b.request.object = pod)))), context);
    expect(answer.response.warnings).toStrictEqual(['runner-defaults: nothing added: opted out by annotation']);
  });

  it('dry-run warnings drop control characters and stay under 120 characters, whatever the container is called', () => {
    const pod = runnerPod({ spec: { initContainers: [{ name: `evil\u0007\n${'x'.repeat(200)}` }] } });
    const { answer } = review(readAdmissionReview(legacyReview((b) => ((b.request.dryRun = true), (b.request.object = pod)))), context);
    const warnings = answer.response.warnings ?? [];
    expect(warnings).toHaveLength(4);
    for (const warning of warnings) {
      expect(warning.length).toBeLessThan(120);
      // eslint-disable-next-line no-control-regex
      expect(warning).not.toMatch(/[\u0000-\u001f\u007f]/);
    }
    expect(warnings[0]).toBe(`runner-defaults: added requests cpu=100m memory=128Mi, limits cpu=1 memory=1Gi to init container "evil??${'x'.repeat(12)}...`);
  });

  it('the patch is base64 of a JSON array that decodes to the operations', () => {
    const { answer, decision } = review(readAdmissionReview(legacyReview()), context);
    expect(answer.response.patch).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(decodePatch(answer.response.patch)).toStrictEqual(decision.patch);
  });

  it.each<[string, (body: Loose) => void]>([
    ['a patched review', () => {}],
    ['a v1beta1 review', (b) => (b.apiVersion = 'admission.k8s.io/v1beta1')],
    ['a skipped review', (b) => (b.request.operation = 'UPDATE')],
    ['a dry run with warnings', (b) => (b.request.dryRun = true)],
    ['a uid with quotes, backslashes, control characters and unicode', (b) => (b.request.uid = 'a"b\\c\n\u0001-ünï-✓-\u2028')],
  ])('is sent as exactly the JSON of the answer: %s', (_name, edit) => {
    const { answer } = review(readAdmissionReview(legacyReview(edit)), context);
    expect(encodeAnswer(answer)).toBe(JSON.stringify(answer));
  });

  it('is sent as exactly the JSON of any answer (generated uids and warnings)', () => {
    const answers = fc.record({
      apiVersion: fc.constantFrom(...ADMISSION_VERSIONS),
      kind: fc.constant('AdmissionReview' as const),
      response: fc.record(
        {
          uid: fc.string({ unit: 'binary' }),
          allowed: fc.constant(true as const),
          patchType: fc.constant('JSONPatch' as const),
          patch: fc.base64String(),
          warnings: fc.array(fc.string({ unit: 'binary' })),
        },
        { requiredKeys: ['uid', 'allowed'] },
      ),
    });
    fc.assert(
      fc.property(answers, (answer) => {
        const { response } = answer;
        // answer() sets patchType and patch together; the generator may give either alone.
        if ((response.patch === undefined) !== (response.patchType === undefined)) return;
        expect(encodeAnswer(answer)).toBe(JSON.stringify(answer));
      }),
    );
  });
});

describe("the API server's defaults for a bare Pod (mutate)", () => {
  it('gives each container and init container its limits as the requests it lacks, on a copy, and nothing else', () => {
    const pod = JSON.parse(
      '{"spec":{"containers":[{"name":"a","resources":{"limits":{"cpu":"2","memory":"1Gi"},"requests":{"cpu":"1"}}},{"name":"b"}],' +
        '"initContainers":[{"name":"i","resources":{"limits":{"cpu":"500m","constructor":"1","__proto__":"2"}}}]}}',
    ) as Json;
    const before = structuredClone(pod);
    const defaulted = withApiServerDefaults(pod) as { spec: { containers: Loose[]; initContainers: Loose[] } };
    expect(pod).toStrictEqual(before);
    expect(defaulted.spec.containers.map((container) => container.resources)).toStrictEqual([
      { limits: { cpu: '2', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } },
      undefined,
    ]);
    const requests = defaulted.spec.initContainers[0]!.resources.requests as Loose;
    // Every key is copied as data: __proto__ becomes a key, not the object's prototype.
    expect(Object.getPrototypeOf(requests)).toBe(Object.prototype);
    expect(Object.entries(requests)).toStrictEqual([
      ['cpu', '500m'],
      ['constructor', '1'],
      ['__proto__', '2'],
    ]);
  });
});

// The rules one by one, as tables: init-container resources, the probes' port, the restart
// policy and the applied annotation, each asserted on the patched pod and the exact patch.
import { describe, expect, it } from 'vitest';
import { decide } from '../src/admission/decide.js';
import { podCreateRequest } from '../src/admission/request.js';
import { defaultConfig, parseConfig, type Config } from '../src/config.js';
import type { Container, Pod } from '../src/rules/types.js';
import { APPLIED, applyStrict } from './helpers/fixtures.js';
import { initContainer, runnerPod } from './helpers/pods.js';

function run(pod: Pod, config: Config = defaultConfig) {
  const decision = decide(podCreateRequest(pod as Record<string, unknown>), { config });
  expect(applyStrict(pod, decision.patch)).toStrictEqual(decision.patched);
  return { ...decision, pod: decision.patched as Pod };
}

const probesPresent = { readinessProbe: { exec: { command: ['true'] } }, livenessProbe: { exec: { command: ['true'] } } };

describe('init-container resources', () => {
  it.each<[string, Container['resources'] | undefined, Container['resources']]>([
    ['no resources key at all gets all four defaults', undefined, { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } }],
    ['empty resources get all four defaults', {}, { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } }],
    [
      'limits only: requests default where they fit under the limit',
      { limits: { cpu: '2', memory: '2Gi' } },
      { limits: { cpu: '2', memory: '2Gi' }, requests: { cpu: '100m', memory: '128Mi' } },
    ],
    [
      'limits below the default requests: the request takes the limit',
      { limits: { cpu: '50m', memory: '64Mi' } },
      { limits: { cpu: '50m', memory: '64Mi' }, requests: { cpu: '50m', memory: '64Mi' } },
    ],
    [
      'requests only, under the default limits: limits default',
      { requests: { cpu: '200m', memory: '256Mi' } },
      { requests: { cpu: '200m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
    ],
    [
      'a 2Gi request with no limit gets a 2Gi limit, not 1Gi',
      { requests: { cpu: '1500m', memory: '2Gi' } },
      { requests: { cpu: '1500m', memory: '2Gi' }, limits: { cpu: '1500m', memory: '2Gi' } },
    ],
    [
      'partial keys: only the missing ones are added',
      { requests: { memory: '64Mi' }, limits: { cpu: '500m' } },
      { requests: { memory: '64Mi', cpu: '100m' }, limits: { cpu: '500m', memory: '1Gi' } },
    ],
    [
      'mixed units compare exactly: 1024Mi equals the 1Gi default, so the limit stays 1Gi',
      { requests: { memory: '1024Mi', cpu: '1' } },
      { requests: { memory: '1024Mi', cpu: '1' }, limits: { cpu: '1', memory: '1Gi' } },
    ],
    [
      'mixed units compare exactly: 1073741825 bytes is one byte above 1Gi, so the limit takes it',
      { requests: { memory: '1073741825', cpu: '0.5' } },
      { requests: { memory: '1073741825', cpu: '0.5' }, limits: { cpu: '1', memory: '1073741825' } },
    ],
    [
      'decimal exponent forms: a 1e0 limit (one cpu) keeps the 100m default request, 1.5Gi keeps 128Mi',
      { limits: { cpu: '1e0', memory: '1.5Gi' } },
      { limits: { cpu: '1e0', memory: '1.5Gi' }, requests: { cpu: '100m', memory: '128Mi' } },
    ],
    [
      'decimal exponent forms: a 5e-2 limit (50m) is below the 100m default, so the request takes it',
      { limits: { cpu: '5e-2', memory: '1.5Gi' } },
      { limits: { cpu: '5e-2', memory: '1.5Gi' }, requests: { cpu: '5e-2', memory: '128Mi' } },
    ],
    [
      'numbers from YAML are compared as quantities and copied as they are',
      { requests: { cpu: 3 as unknown as string } },
      { requests: { cpu: 3 as unknown as string, memory: '128Mi' }, limits: { cpu: 3 as unknown as string, memory: '1Gi' } },
    ],
    [
      'an unparseable existing value is left alone and its missing side not guessed',
      { requests: { cpu: 'lots' } },
      { requests: { cpu: 'lots', memory: '128Mi' }, limits: { memory: '1Gi' } },
    ],
    [
      'claims and other keys are kept',
      { claims: [{ name: 'gpu' }] },
      { claims: [{ name: 'gpu' }], limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } },
    ],
  ])('%s', (_name, resources, expected) => {
    const { pod, changes } = run(runnerPod({ runner: probesPresent, spec: { restartPolicy: 'Always', initContainers: [initContainer(resources)] } }));
    expect(pod.spec!.initContainers![0]!.resources).toStrictEqual(expected);
    expect(changes).toEqual(['init-resources']);
  });

  it('complete resources are never touched, even with a request above its limit', () => {
    const resources = { requests: { cpu: '2', memory: '2Gi' }, limits: { cpu: '1', memory: '1Gi' } };
    const { outcome, patch } = run(runnerPod({ runner: probesPresent, spec: { restartPolicy: 'Always', initContainers: [initContainer(resources)] } }));
    expect(outcome).toBe('unchanged');
    expect(patch).toEqual([]);
  });

  it('several init containers, a native sidecar among them, each get only what they miss', () => {
    const init = [
      initContainer(undefined, { name: 'first' }),
      initContainer({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } }, { name: 'complete' }),
      initContainer({ requests: { memory: '4Gi' } }, { name: 'sidecar', restartPolicy: 'Always' }),
    ];
    const { patch } = run(runnerPod({ runner: probesPresent, spec: { restartPolicy: 'Always', initContainers: init } }));
    expect(patch).toStrictEqual([
      { op: 'add', path: '/metadata/annotations', value: { [APPLIED]: 'init-resources' } },
      { op: 'add', path: '/spec/initContainers/0/resources', value: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } } },
      { op: 'add', path: '/spec/initContainers/2/resources/requests/cpu', value: '100m' },
      { op: 'add', path: '/spec/initContainers/2/resources/limits', value: { cpu: '1', memory: '4Gi' } },
    ]);
  });

  it('a resource the pod sets at pod level (spec.resources) is left to that shared budget, and the details say so', () => {
    const spec = { restartPolicy: 'Always', resources: { limits: { cpu: '500m' } }, initContainers: [initContainer()] };
    const { patch, details, changes } = run(runnerPod({ runner: probesPresent, spec }));
    expect(patch).toStrictEqual([
      { op: 'add', path: '/metadata/annotations', value: { [APPLIED]: 'init-resources' } },
      { op: 'add', path: '/spec/initContainers/0/resources', value: { limits: { memory: '1Gi' }, requests: { memory: '128Mi' } } },
    ]);
    expect(changes).toStrictEqual(['init-resources']);
    expect(details).toStrictEqual([
      'added no cpu to init containers: the pod sets cpu in spec.resources, which its containers share',
      'added requests memory=128Mi, limits memory=1Gi to init container "init"',
    ]);
    const both = run(runnerPod({ runner: probesPresent, spec: { ...spec, resources: { requests: { cpu: '1', memory: '1Gi' } } } }));
    expect([both.outcome, both.patch, both.details]).toStrictEqual([
      'unchanged',
      [],
      [
        'added no cpu to init containers: the pod sets cpu in spec.resources, which its containers share',
        'added no memory to init containers: the pod sets memory in spec.resources, which its containers share',
      ],
    ]);
  });

  it('can be turned off in the config', () => {
    const config = parseConfig({ initResources: { enabled: false } });
    const { outcome } = run(runnerPod({ runner: probesPresent, spec: { restartPolicy: 'Always', initContainers: [initContainer()] } }), config);
    expect(outcome).toBe('unchanged');
  });
});

describe('the port the probes call', () => {
  it.each<[string, Partial<Container>, string | number]>([
    ['the container port named agui, by its name', { ports: [{ containerPort: 7000 }, { name: 'agui', containerPort: 9090 }] }, 'agui'],
    ['a literal AGUI_PORT env value when no port is named agui', { ports: [{ containerPort: 7000 }], env: [{ name: 'AGUI_PORT', value: '8123' }] }, 8123],
    [
      'the last AGUI_PORT when the env defines it twice, as the kubelet does',
      { ports: [{ containerPort: 7000 }], env: [{ name: 'AGUI_PORT', value: '9000' }, { name: 'AGUI_PORT', value: '8123' }] },
      8123,
    ],
    ['the first container port when AGUI_PORT comes from a secret', { ports: [{ containerPort: 7000 }], env: [{ name: 'AGUI_PORT', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }, 7000],
    ['the first container port when AGUI_PORT is not a number', { ports: [{ containerPort: 7000 }], env: [{ name: 'AGUI_PORT', value: '$(PORT)' }] }, 7000],
    ['the first container port when AGUI_PORT is out of range', { ports: [{ containerPort: 7000 }], env: [{ name: 'AGUI_PORT', value: '70000' }] }, 7000],
    ['8001 when the container has no ports and no AGUI_PORT', {}, 8001],
  ])('is %s', (_name, runner, port) => {
    const { pod } = run(runnerPod({ runner }));
    const container = pod.spec!.containers[0]!;
    expect(container.readinessProbe?.httpGet?.port).toBe(port);
    expect(container.livenessProbe?.httpGet?.port).toBe(port);
  });

  it('comes from the config when the port name, env var and fallback are changed', () => {
    const config = parseConfig({ port: { name: 'http', env: 'PORT', fallback: 9000 } });
    expect(run(runnerPod({ runner: { ports: [{ name: 'http', containerPort: 80 }] } }), config).pod.spec!.containers[0]!.readinessProbe?.httpGet?.port).toBe('http');
    expect(run(runnerPod({ runner: { env: [{ name: 'PORT', value: '81' }] } }), config).pod.spec!.containers[0]!.readinessProbe?.httpGet?.port).toBe(81);
    expect(run(runnerPod(), config).pod.spec!.containers[0]!.readinessProbe?.httpGet?.port).toBe(9000);
  });
});

describe('probes', () => {
  it('an existing readiness probe is not touched, not even partly; only liveness is added', () => {
    const readinessProbe = { tcpSocket: { port: 1 }, periodSeconds: 60 };
    const { pod, changes } = run(runnerPod({ runner: { readinessProbe } }));
    expect(pod.spec!.containers[0]!.readinessProbe).toStrictEqual(readinessProbe);
    expect(changes).toEqual(['liveness-probe', 'restart-policy']);
  });

  it('the runner container is found by name wherever it stands, and other containers get nothing', () => {
    const pod = runnerPod();
    pod.spec!.containers.unshift({ name: 'state-sync', image: 'sync' });
    const { patch } = run(pod);
    expect(patch.map((operation) => operation.path)).toStrictEqual([
      '/metadata/annotations',
      '/spec/containers/1/readinessProbe',
      '/spec/containers/1/livenessProbe',
      '/spec/restartPolicy',
    ]);
  });

  it('a pod without the runner container gets no probes and so keeps restartPolicy Never', () => {
    const pod = runnerPod();
    pod.spec!.containers[0]!.name = 'something-else';
    expect(run(pod).outcome).toBe('unchanged');
  });

  it('probe settings come from the config', () => {
    const config = parseConfig({ livenessProbe: { path: '/alive', initialDelaySeconds: 60, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 6 }, readinessProbe: { enabled: false } });
    const { pod, changes } = run(runnerPod({ runner: { ports: [{ name: 'agui', containerPort: 8001 }] } }), config);
    expect(pod.spec!.containers[0]!.livenessProbe).toStrictEqual({
      httpGet: { path: '/alive', port: 'agui' },
      initialDelaySeconds: 60,
      periodSeconds: 10,
      timeoutSeconds: 1,
      failureThreshold: 6,
    });
    expect(pod.spec!.containers[0]!.readinessProbe).toBeUndefined();
    expect(changes).toEqual(['liveness-probe', 'restart-policy']);
  });
});

describe('restart policy', () => {
  it.each<[string, Partial<Pod['spec']> & object, Pod['metadata'] | undefined, Config, string | undefined]>([
    ['Never becomes OnFailure once the runner has a liveness probe', {}, undefined, defaultConfig, 'OnFailure'],
    ['Never becomes Always when the config says Always', {}, undefined, parseConfig({ restartPolicy: 'Always' }), 'Always'],
    ['Never stays Never when the config says keep', {}, undefined, parseConfig({ restartPolicy: 'keep' }), 'Never'],
    ['Never stays Never with no liveness probe anywhere', {}, undefined, parseConfig({ livenessProbe: { enabled: false } }), 'Never'],
    ['OnFailure is left as it is', { restartPolicy: 'OnFailure' }, undefined, defaultConfig, 'OnFailure'],
    ['an absent policy (Always by default) is left absent', { restartPolicy: 'delete' }, undefined, defaultConfig, undefined],
    [
      'a pod owned by a batch/v1 Job keeps Never',
      {},
      { labels: { app: 'ambient-code-runner' }, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'u' }] },
      defaultConfig,
      'Never',
    ],
  ])('%s', (_name, spec, metadata, config, expected) => {
    const input = runnerPod({ spec, ...(metadata ? { metadata } : {}) });
    if (input.spec!.restartPolicy === 'delete') delete input.spec!.restartPolicy;
    const { pod } = run(input, config);
    expect(pod.spec!.restartPolicy).toBe(expected);
  });

  it('a sidecar liveness probe does not count, a second regular container one does', () => {
    const config = parseConfig({ livenessProbe: { enabled: false } });
    const probe = { exec: { command: ['true'] } };
    const sidecar = initContainer({}, { restartPolicy: 'Always', livenessProbe: probe });
    expect(run(runnerPod({ spec: { initContainers: [sidecar] } }), config).pod.spec!.restartPolicy).toBe('Never');
    const withOther = runnerPod();
    withOther.spec!.containers.push({ name: 'other', livenessProbe: probe });
    expect(run(withOther, config).pod.spec!.restartPolicy).toBe('OnFailure');
  });
});

describe('the applied annotation', () => {
  it('is added with metadata.annotations when the pod has none', () => {
    const { patch } = run(runnerPod({ runner: probesPresent }));
    expect(patch[0]).toStrictEqual({ op: 'add', path: '/metadata/annotations', value: { [APPLIED]: 'restart-policy' } });
  });

  it('keeps every annotation already there and escapes its own key in the pointer', () => {
    const annotations = { 'example.com/owner': 'team', 'a~b/c': 'x', [`${APPLIED}-not`]: 'y' };
    const { pod, patch } = run(runnerPod({ runner: probesPresent, metadata: { labels: { app: 'ambient-code-runner' }, annotations } }));
    expect(patch[0]).toStrictEqual({ op: 'add', path: '/metadata/annotations/runner-defaults.ambient-code.io~1applied', value: 'restart-policy' });
    expect(pod.metadata!.annotations).toStrictEqual({ ...annotations, [APPLIED]: 'restart-policy' });
  });

  it('joins what an earlier pass recorded when a reinvocation adds more (sorted, unknown words dropped)', () => {
    const metadata = { labels: { app: 'ambient-code-runner' }, annotations: { [APPLIED]: 'readiness-probe,bogus,liveness-probe' } };
    const pod = runnerPod({ runner: probesPresent, metadata, spec: { restartPolicy: 'OnFailure', initContainers: [initContainer()] } });
    const { patch } = run(pod);
    expect(patch[0]).toStrictEqual({
      op: 'replace',
      path: '/metadata/annotations/runner-defaults.ambient-code.io~1applied',
      value: 'init-resources,liveness-probe,readiness-probe',
    });
  });
});

describe('which pods', () => {
  const unlabelled = () => {
    const pod = runnerPod();
    delete pod.metadata!.labels;
    return pod;
  };
  it.each<[string, () => Pod, string]>([
    ['a pod without the runner label', () => runnerPod({ metadata: { labels: { app: 'backend' } } }), 'labels do not match app=ambient-code-runner'],
    ['a pod with no labels at all', unlabelled, 'labels do not match app=ambient-code-runner'],
    [
      'a pod opted out with skip: "true"',
      () => runnerPod({ metadata: { labels: { app: 'ambient-code-runner' }, annotations: { 'runner-defaults.ambient-code.io/skip': 'true' } } }),
      'opted out by annotation',
    ],
  ])('%s is skipped', (_name, pod, reason) => {
    const decision = run(pod());
    expect(decision.outcome).toBe('skipped');
    expect(decision.reason).toBe(reason);
    expect(decision.patch).toEqual([]);
  });

  it('a skip annotation with any value other than "true" does not opt out', () => {
    const pod = runnerPod({ metadata: { labels: { app: 'ambient-code-runner' }, annotations: { 'runner-defaults.ambient-code.io/skip': 'false' } } });
    expect(run(pod).outcome).toBe('patched');
  });

  it('a configured selector with expressions picks its own pods', () => {
    const config = parseConfig({ selector: { matchLabels: {}, matchExpressions: [{ key: 'tier', operator: 'In', values: ['runner', 'agent'] }, { key: 'legacy', operator: 'DoesNotExist' }] } });
    expect(run(runnerPod({ metadata: { labels: { tier: 'agent' } } }), config).outcome).toBe('patched');
    expect(run(runnerPod({ metadata: { labels: { tier: 'agent', legacy: '' } } }), config).outcome).toBe('skipped');
    expect(run(runnerPod({ metadata: { labels: { tier: 'web' } } }), config).outcome).toBe('skipped');
  });
});

// Init-container defaults inside the namespace's LimitRanges: each case is checked against the
// LimitRange oracle (test/helpers/limit-range-check.ts): the patched pod has no violation, and
// the plain defaults (no LimitRange given to the rules) do have one, so every case can fail.
import { describe, expect, it } from 'vitest';
import { decide } from '../src/admission/decide.js';
import { podCreateRequest } from '../src/admission/request.js';
import { warningsFor } from '../src/admission/warnings.js';
import { defaultConfig } from '../src/config.js';
import { limitRangesFor, type LimitRange, type LimitRangeItem } from '../src/rules/limit-ranges.js';
import { MAX_FITTED_INIT_CONTAINERS } from '../src/rules/init-resources.js';
import { describeAdjustment, type Container, type Pod } from '../src/rules/types.js';
import { applyStrict } from './helpers/fixtures.js';
import { limitRangeViolations, type CheckPod } from './helpers/limit-range-check.js';
import { initContainer, runnerPod } from './helpers/pods.js';

const probes = { readinessProbe: { exec: { command: ['true'] } }, livenessProbe: { exec: { command: ['true'] } } };
const INIT = { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } };
const RUNNER_RESOURCES = { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } };

function limitRange(name: string, ...limits: LimitRangeItem[]): LimitRange {
  return { apiVersion: 'v1', kind: 'LimitRange', metadata: { name, namespace: 'team' }, spec: { limits } };
}

function pod(initContainers: Container[]): Pod {
  return runnerPod({ runner: { ...probes, resources: structuredClone(RUNNER_RESOURCES) }, spec: { restartPolicy: 'OnFailure', initContainers } });
}

function run(original: Pod, limitRanges: LimitRange[]) {
  const decision = decide(podCreateRequest(original as Record<string, unknown>), { config: defaultConfig, limitRanges });
  expect(applyStrict(original, decision.patch)).toStrictEqual(decision.patched);
  const plain = decide(podCreateRequest(original as Record<string, unknown>), { config: defaultConfig });
  return { decision, patched: decision.patched as Pod, plain: plain.patched as Pod };
}

const violations = (target: Pod, limitRanges: LimitRange[]) => limitRangeViolations(target as CheckPod, limitRanges);
const initResources = (target: Pod, index = 0) => target.spec?.initContainers?.[index]?.resources;

interface Case {
  name: string;
  limitRanges: LimitRange[];
  initContainers: Container[];
  /** The resources of the init container at `index` after the patch. */
  expected: Container['resources'];
  index?: number;
  adjustments: string[];
}

const CASES: Case[] = [
  {
    name: 'a Container max lowers the default limits to the max (1 cpu -> 500m, 1Gi -> 512Mi)',
    limitRanges: [limitRange('max', { type: 'Container', max: { cpu: '500m', memory: '512Mi' } })],
    initContainers: [initContainer()],
    expected: { limits: { cpu: '500m', memory: '512Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
    adjustments: ['adjusted cpu: limit 1 -> 500m', 'adjusted memory: limit 1Gi -> 512Mi'],
  },
  {
    name: 'a Container min raises the default requests to the min',
    limitRanges: [limitRange('min', { type: 'Container', min: { cpu: '200m', memory: '256Mi' } })],
    initContainers: [initContainer()],
    expected: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '200m', memory: '256Mi' } },
    adjustments: ['adjusted cpu: request 100m -> 200m', 'adjusted memory: request 128Mi -> 256Mi'],
  },
  {
    name: 'a maxLimitRequestRatio raises the request to limit/ratio (1 cpu / 4 = 250m, 1Gi / 2 = 512Mi)',
    limitRanges: [limitRange('ratio', { type: 'Container', maxLimitRequestRatio: { cpu: '4', memory: '2' } })],
    initContainers: [initContainer()],
    expected: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '250m', memory: '512Mi' } },
    adjustments: ['adjusted cpu: request 100m -> 250m', 'adjusted memory: request 128Mi -> 512Mi'],
  },
  {
    name: 'a ratio of 3 on 1Gi rounds the request up to a whole byte',
    limitRanges: [limitRange('ratio', { type: 'Container', maxLimitRequestRatio: { memory: '3' } })],
    initContainers: [initContainer()],
    expected: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m', memory: '357913942' } },
    adjustments: ['adjusted memory: request 128Mi -> 357913942'],
  },
  {
    name: 'a ratio together with a max: the limit comes down to the max, then the request up to max/ratio',
    limitRanges: [limitRange('both', { type: 'Container', max: { cpu: '600m', memory: '768Mi' }, maxLimitRequestRatio: { cpu: '4', memory: '4' } })],
    initContainers: [initContainer()],
    expected: { limits: { cpu: '600m', memory: '768Mi' }, requests: { cpu: '150m', memory: '192Mi' } },
    adjustments: ['adjusted cpu: request 100m -> 150m, limit 1 -> 600m', 'adjusted memory: request 128Mi -> 192Mi, limit 1Gi -> 768Mi'],
  },
  {
    name: 'a ratio with an existing request lowers the limit to request x ratio',
    limitRanges: [limitRange('ratio', { type: 'Container', maxLimitRequestRatio: { cpu: '4' } })],
    initContainers: [initContainer({ requests: { cpu: '100m' } })],
    expected: { limits: { cpu: '400m', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } },
    adjustments: ['adjusted cpu: limit 1 -> 400m'],
  },
  {
    name: 'a ratio with an existing limit raises the request to limit/ratio',
    limitRanges: [limitRange('ratio', { type: 'Container', maxLimitRequestRatio: { cpu: '4', memory: '4' } })],
    initContainers: [initContainer({ limits: { cpu: '2', memory: '2Gi' } })],
    expected: { limits: { cpu: '2', memory: '2Gi' }, requests: { cpu: '500m', memory: '512Mi' } },
    adjustments: ['adjusted cpu: request 100m -> 500m', 'adjusted memory: request 128Mi -> 512Mi'],
  },
  {
    name: 'several LimitRanges in one namespace: the tightest bound of each kind applies',
    limitRanges: [
      limitRange('a', { type: 'Container', max: { memory: '768Mi' }, maxLimitRequestRatio: { cpu: '10' } }),
      limitRange('b', { type: 'Container', max: { memory: '512Mi' }, maxLimitRequestRatio: { cpu: '5' } }),
    ],
    initContainers: [initContainer()],
    expected: { limits: { cpu: '1', memory: '512Mi' }, requests: { cpu: '200m', memory: '128Mi' } },
    adjustments: ['adjusted cpu: request 100m -> 200m', 'adjusted memory: limit 1Gi -> 512Mi'],
  },
  {
    name: "a ratio whose edge LimitRanger's float64 check puts above it (403m/200m = 2.015 exactly, 2015.0000000000002 in float64): one step below",
    limitRanges: [limitRange('ratio', { type: 'Container', maxLimitRequestRatio: { cpu: '2.015', memory: '8.05' } })],
    initContainers: [initContainer({ requests: { cpu: '200m', memory: '100Mi' } })],
    expected: { requests: { cpu: '200m', memory: '100Mi' }, limits: { cpu: '402m', memory: '844103679' } },
    adjustments: ['adjusted cpu: limit 1 -> 402m', 'adjusted memory: limit 1Gi -> 844103679'],
  },
  {
    name: "a sub-milli max that LimitRanger rounds up, so the exact edge of the ratio fails in its float64 check: the request is raised a step",
    limitRanges: [limitRange('ratio', { type: 'Container', max: { cpu: '900500u' }, maxLimitRequestRatio: { cpu: '3.602' } })],
    initContainers: [initContainer({ requests: { memory: '128Mi' }, limits: { memory: '1Gi' } })],
    // 900.5m / 250m is 3.602 exactly; LimitRanger rounds the limit up to 901m: 901 / 250 = 3.604.
    expected: { requests: { cpu: '251m', memory: '128Mi' }, limits: { cpu: '900500u', memory: '1Gi' } },
    adjustments: ['adjusted cpu: request 100m -> 251m, limit 1 -> 900500u'],
  },
  {
    name: 'a Pod max: an init container runs alone, so it may have the whole max',
    limitRanges: [limitRange('pod', { type: 'Pod', max: { cpu: '800m', memory: '768Mi' } })],
    initContainers: [initContainer()],
    expected: { limits: { cpu: '800m', memory: '768Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
    adjustments: ['adjusted cpu: limit 1 -> 800m', 'adjusted memory: limit 1Gi -> 768Mi'],
  },
  {
    name: 'a Pod max with a sidecar before the init container: it gets the max less the sidecar',
    limitRanges: [limitRange('pod', { type: 'Pod', max: { cpu: '800m', memory: '768Mi' } })],
    initContainers: [
      initContainer({ requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '300m', memory: '256Mi' } }, { name: 'state-sync', restartPolicy: 'Always' }),
      initContainer(),
    ],
    index: 1,
    expected: { limits: { cpu: '500m', memory: '512Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
    adjustments: ['adjusted cpu: limit 1 -> 500m', 'adjusted memory: limit 1Gi -> 512Mi'],
  },
  {
    name: 'a sidecar before a large init container gets the Pod max less that init container, which runs beside it',
    limitRanges: [limitRange('pod', { type: 'Pod', max: { cpu: '2' } })],
    initContainers: [
      initContainer(undefined, { name: 'state-sync', restartPolicy: 'Always' }),
      initContainer({ requests: { cpu: '1800m', memory: '128Mi' }, limits: { cpu: '1800m', memory: '1Gi' } }, { name: 'hydrate' }),
    ],
    expected: { limits: { cpu: '200m', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } },
    adjustments: ['adjusted cpu: limit 1 -> 200m'],
  },
  {
    name: 'a sidecar that would push the running pod past a Pod max gets no limit there (nothing fits), and the rest',
    limitRanges: [limitRange('pod', { type: 'Pod', max: { cpu: '1' } })],
    initContainers: [initContainer({ requests: { cpu: '600m' } }, { name: 'state-sync', restartPolicy: 'Always' })],
    expected: { requests: { cpu: '600m', memory: '128Mi' }, limits: { memory: '1Gi' } },
    adjustments: ['skipped cpu: no value fits Pod room for the request 750m, Pod room for the limit 500m, existing request 600m (LimitRange pod)'],
  },
];

describe('init-container defaults fitted inside the namespace LimitRanges', () => {
  it.each(CASES)('$name', ({ limitRanges, initContainers, expected, index = 0, adjustments }) => {
    const original = pod(initContainers);
    const { decision, patched, plain } = run(original, limitRanges);
    expect(violations(plain, limitRanges)).not.toEqual([]);
    expect(violations(patched, limitRanges)).toEqual([]);
    expect(initResources(patched, index)).toStrictEqual(expected);
    expect(decision.adjustments.map(({ action, resource, reason }) => `${action} ${resource}: ${reason}`)).toStrictEqual(adjustments);
    expect(decision.changes).toContain('init-resources');
  });

  it('says in the details (and so in the dry-run warnings) which default it left out and why', () => {
    const { decision } = run(pod(CASES.at(-1)!.initContainers), CASES.at(-1)!.limitRanges);
    expect(decision.details.at(-1)).toBe(
      'added no cpu to init container "state-sync": no value fits Pod room for the request 750m, Pod room for the limit 500m, existing request 600m (LimitRange pod)',
    );
    expect(warningsFor(decision).at(-1)).toMatch(/^runner-defaults: added no cpu to init container "state-sync": .{20,}\.\.\.$/);
  });

  it('contradicting LimitRanges (min 2 cpu, max 1 cpu): adds no cpu, says why, and adds no violation of its own', () => {
    const limitRanges = [limitRange('floor', { type: 'Container', min: { cpu: '2' } }), limitRange('ceiling', { type: 'Container', max: { cpu: '1' } })];
    const original = pod([initContainer()]);
    const { decision, patched } = run(original, limitRanges);
    expect(initResources(patched)).toStrictEqual({ limits: { memory: '1Gi' }, requests: { memory: '128Mi' } });
    expect(decision.adjustments).toStrictEqual([
      { action: 'skipped', resource: 'cpu', container: 'init', reason: 'no value fits min 2, max 1 (LimitRange floor, ceiling)' },
    ]);
    const before = new Set(violations(original, limitRanges));
    expect(violations(patched, limitRanges).filter((violation) => !before.has(violation))).toEqual([]);
  });

  it('when every key is left out the pod is unchanged, the reason says so, and the skip is still reported', () => {
    const limitRanges = [limitRange('ratio', { type: 'Container', maxLimitRequestRatio: { cpu: '2', memory: '2' } })];
    // Existing zero requests: a ratio needs a non-zero request, so no limit can be added.
    const original = pod([initContainer({ requests: { cpu: '0', memory: '0' } })]);
    const { decision } = run(original, limitRanges);
    expect(decision.outcome).toBe('unchanged');
    expect(decision.patch).toEqual([]);
    expect(decision.reason).toBe('the pod has every default the LimitRange leaves room for');
    expect(decision.adjustments.map((adjustment) => `${adjustment.action} ${adjustment.resource}`)).toEqual(['skipped cpu', 'skipped memory']);
    expect(warningsFor(decision)).toHaveLength(2);
  });

  it.each<[string, LimitRange[]]>([
    ['no LimitRange', []],
    ['only a LimitRange of another namespace', limitRangesFor([{ ...limitRange('other', { type: 'Container', max: { cpu: '100m' } }), metadata: { name: 'other', namespace: 'elsewhere' } }], 'team')],
    ['a LimitRange with defaults only', [limitRange('defaults', { type: 'Container', default: { cpu: '2' }, defaultRequest: { cpu: '1' } })]],
    ['a LimitRange for PersistentVolumeClaims', [limitRange('storage', { type: 'PersistentVolumeClaim', max: { storage: '1Gi' } })]],
  ])('a namespace with %s gets the plain defaults and no adjustment', (_name, limitRanges) => {
    const { decision, patched, plain } = run(pod([initContainer()]), limitRanges);
    expect(patched).toStrictEqual(plain);
    expect(decision.adjustments).toEqual([]);
    expect(violations(patched, limitRanges)).toEqual([]);
  });

  it('limitRangesFor keeps those of the namespace and those with none', () => {
    const ranges: LimitRange[] = [
      { metadata: { name: 'mine', namespace: 'team' } },
      { metadata: { name: 'theirs', namespace: 'other' } },
      { metadata: { name: 'anywhere' } },
    ];
    expect(limitRangesFor(ranges, 'team').map((range) => range.metadata?.name)).toEqual(['mine', 'anywhere']);
  });

  it('a ratio below 1, which the API server refuses, bounds nothing: the plain defaults are added, and the rest of the review is not lost', () => {
    const limitRanges = [limitRange('zero', { type: 'Container', maxLimitRequestRatio: { cpu: '0', memory: '500m' } })];
    const original = runnerPod({ spec: { initContainers: [initContainer()] } });
    const { decision, patched, plain } = run(original, limitRanges);
    expect(decision.outcome).toBe('patched');
    expect(decision.changes).toEqual(['init-resources', 'liveness-probe', 'readiness-probe', 'restart-policy']);
    expect(decision.adjustments).toEqual([]);
    expect(patched).toStrictEqual(plain);
  });

  describe(`a pod with more than ${MAX_FITTED_INIT_CONTAINERS} init containers`, () => {
    const limitRanges = [limitRange('pod', { type: 'Pod', max: { cpu: '1000', memory: '1000Gi' } })];
    const inits = (count: number, resources?: Container['resources']) =>
      Array.from({ length: count }, (_, at) => initContainer(resources && structuredClone(resources), { name: `init-${at}`, ...(at % 2 ? { restartPolicy: 'Always' } : {}) }));

    it('gets no init-container defaults in a namespace with a Pod LimitRange, and says why; the rest of the review is done', () => {
      const count = MAX_FITTED_INIT_CONTAINERS + 1;
      const { decision, patched } = run(runnerPod({ spec: { initContainers: inits(count) } }), limitRanges);
      expect(decision.changes).toEqual(['liveness-probe', 'readiness-probe', 'restart-policy']);
      expect(patched.spec?.initContainers?.every((container) => container.resources === undefined)).toBe(true);
      const reason = `${count} init containers, over the ${MAX_FITTED_INIT_CONTAINERS} fitted to a Pod LimitRange`;
      expect(decision.adjustments).toEqual(['cpu', 'memory'].map((resource) => ({ action: 'skipped', resource, reason })));
      expect(decision.adjustments.map(describeAdjustment)).toContain(`skipped cpu of every init container: ${reason}`);
      expect(warningsFor(decision)).toEqual([
        `runner-defaults: added no cpu to init containers: ${reason}`,
        `runner-defaults: added no memory to init containers: ${reason}`,
        ...decision.details.slice(2).map((detail) => `runner-defaults: ${detail}`),
      ]);
    });

    it('says a resource set at pod level is left to the pod, and skips only the other', () => {
      const count = MAX_FITTED_INIT_CONTAINERS + 1;
      const { decision } = run(runnerPod({ spec: { initContainers: inits(count), resources: { limits: { cpu: '2' } } } }), limitRanges);
      const reason = `${count} init containers, over the ${MAX_FITTED_INIT_CONTAINERS} fitted to a Pod LimitRange`;
      expect(decision.adjustments).toEqual([{ action: 'skipped', resource: 'memory', reason }]);
      expect(decision.details.slice(0, 2)).toEqual([
        'added no cpu to init containers: the pod sets cpu in spec.resources, which its containers share',
        `added no memory to init containers: ${reason}`,
      ]);
    });

    it('fits them as usual where the LimitRanges bound only containers (the work then grows only with their number)', () => {
      const containerMax = [limitRange('max', { type: 'Container', max: { cpu: '500m' } })];
      const { patched } = run(runnerPod({ spec: { initContainers: inits(MAX_FITTED_INIT_CONTAINERS + 1) } }), containerMax);
      expect(new Set(patched.spec?.initContainers?.map((container) => JSON.stringify(container.resources)))).toEqual(
        new Set([JSON.stringify({ limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } })]),
      );
    });

    it('is unchanged when it has every other default, and the reason says defaults were left out', () => {
      const complete = runnerPod({ runner: probes, spec: { restartPolicy: 'OnFailure', initContainers: inits(MAX_FITTED_INIT_CONTAINERS + 1) } });
      const decision = decide(podCreateRequest(complete as Record<string, unknown>), { config: defaultConfig, limitRanges });
      expect(decision.outcome).toBe('unchanged');
      expect(decision.reason).toBe('the pod has every default the LimitRange leaves room for');
    });

    it('gets no such report when its init containers already have their resources', () => {
      const decision = decide(podCreateRequest(runnerPod({ spec: { initContainers: inits(MAX_FITTED_INIT_CONTAINERS + 1, INIT) } }) as Record<string, unknown>), {
        config: defaultConfig,
        limitRanges,
      });
      expect(decision.details.filter((detail) => detail.includes('init container'))).toEqual([]);
    });

    it(`fits every one of ${MAX_FITTED_INIT_CONTAINERS}, the most it fits, half of them sidecars`, () => {
      const { decision, patched } = run(runnerPod({ spec: { initContainers: inits(MAX_FITTED_INIT_CONTAINERS) } }), limitRanges);
      expect(decision.changes).toContain('init-resources');
      expect(patched.spec?.initContainers?.map((container) => container.resources)).toEqual(Array(MAX_FITTED_INIT_CONTAINERS).fill(INIT));
      expect(violations(patched, limitRanges)).toEqual([]);
    });
  });

  it('is idempotent: deciding again on the patched pod adds nothing', () => {
    for (const { limitRanges, initContainers } of CASES) {
      const { patched } = run(pod(initContainers), limitRanges);
      const again = decide(podCreateRequest(patched as Record<string, unknown>), { config: defaultConfig, limitRanges });
      expect(again.patch).toEqual([]);
    }
  });
});

describe('the LimitRange oracle (test/helpers/limit-range-check.ts) itself', () => {
  const container = (name: string, cpu: string, extra: Partial<Container> = {}): Container => ({
    name,
    image: name,
    resources: { requests: { cpu }, limits: { cpu } },
    ...extra,
  });
  const podOf = (containers: Container[], initContainers: Container[] = []) => ({ spec: { containers, initContainers } });
  const podMax = (cpu: string) => [limitRange('pod', { type: 'Pod', max: { cpu } })];

  it.each<[string, CheckPod, LimitRange[], string[]]>([
    ['an init container alone above a Pod max', podOf([container('a', '1'), container('b', '1')], [container('init', '2500m')]), podMax('2'), [
      'pod: pod: maximum cpu is 2000m, but limit is 2500m',
      'pod: pod: maximum cpu is 2000m, but request is 2500m',
    ]],
    // Effective: the init phase is max(sidecar 1, regular init 2 + the sidecar before it 1) = 3; running is 1 + sidecar 1 = 2.
    ['a regular init container plus the sidecar started before it', podOf([container('app', '1')], [container('side', '1', { restartPolicy: 'Always' }), container('init', '2')]), podMax('2500m'), [
      'pod: pod: maximum cpu is 2500m, but limit is 3000m',
      'pod: pod: maximum cpu is 2500m, but request is 3000m',
    ]],
    ['the same pod within a Pod max of 3', podOf([container('app', '1')], [container('side', '1', { restartPolicy: 'Always' }), container('init', '2')]), podMax('3'), []],
    ['a sidecar counts with the containers while they run', podOf([container('app', '2')], [container('side', '1', { restartPolicy: 'Always' })]), podMax('2500m'), [
      'pod: pod: maximum cpu is 2500m, but limit is 3000m',
      'pod: pod: maximum cpu is 2500m, but request is 3000m',
    ]],
    [
      'a limit/request just above the ratio (1 / 333m > 3)',
      podOf([{ name: 'app', image: 'app', resources: { requests: { cpu: '333m' }, limits: { cpu: '1' } } }]),
      [limitRange('ratio', { type: 'Container', maxLimitRequestRatio: { cpu: '3' } })],
      ['ratio: container app: cpu limit/request is 1000/333, above 3000m'],
    ],
    [
      'a Container min with no request',
      podOf([{ name: 'app', image: 'app', resources: { limits: { cpu: '1' } } }]),
      [limitRange('min', { type: 'Container', min: { cpu: '100m' } })],
      ['min: container app: minimum cpu is 100m, no request is specified'],
    ],
  ])('%s', (_name, target, limitRanges, expected) => {
    expect(limitRangeViolations(target, limitRanges)).toStrictEqual(expected);
  });
});

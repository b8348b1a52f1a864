// fast-check generators for the property tests: pods that vary every input the rules read (labels,
// annotations needing JSON-pointer escaping, the runner container and its probes, ports and env,
// restart policy, owners, init containers with quantities in every unit), and pods with junk in them.
import fc from 'fast-check';

export const RUNNER = 'ambient-code-runner';
export const SKIP = 'runner-defaults.ambient-code.io/skip';
export const APPLIED = 'runner-defaults.ambient-code.io/applied';

export type Amount = string | number;
export type Amounts = { cpu?: Amount; memory?: Amount };
export type Resources = { requests?: Amounts; limits?: Amounts };
export type ContainerPort = { name?: string; containerPort: number; protocol?: string };
export type EnvVar = { name: string; value?: string; valueFrom?: Record<string, unknown> };
export type Probe = Record<string, unknown>;
export type GenContainer = {
  name: string;
  image: string;
  ports?: ContainerPort[];
  env?: EnvVar[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: Resources;
  restartPolicy?: 'Always';
};
export type OwnerReference = { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean };
export type GenPod = {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
  };
  spec: { containers: GenContainer[]; initContainers?: GenContainer[]; restartPolicy?: 'Never' | 'OnFailure' | 'Always' };
};

/** `{ ...base, key: value }` when the value is there; no key at all (not `undefined`) when it is not. */
function withOptional<T extends object>(base: T, optional: Record<string, unknown>): T {
  return { ...base, ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)) };
}

const maybe = <T>(arbitrary: fc.Arbitrary<T>, freq = 1) => fc.option(arbitrary, { nil: undefined, freq });

/** A valid quantity in any of the forms a pod may carry, close to the defaults often enough to matter. */
export const quantity: fc.Arbitrary<Amount> = fc.oneof(
  fc.constantFrom('100m', '128Mi', '1', '1000m', '1Gi', '1024Mi', '1073741824', '0.1', '2', '2Gi', '50m', '64Mi', '0'),
  fc.integer({ min: 0, max: 4000 }).map((millis) => `${millis}m`),
  fc.integer({ min: 0, max: 8 }).map(String),
  fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 999 })).map(([whole, fraction]) => `${whole}.${fraction}`),
  fc.constantFrom('.5', '5.', '0.25', '+1', '1.5'),
  fc.tuple(fc.integer({ min: 0, max: 4096 }), fc.constantFrom('Ki', 'Mi', 'Gi')).map(([count, unit]) => `${count}${unit}`),
  fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 9 }), fc.constantFrom('Mi', 'Gi')).map(
    ([whole, tenth, unit]) => `${whole}.${tenth}${unit}`,
  ),
  fc.tuple(fc.integer({ min: 1, max: 999 }), fc.constantFrom('e', 'E'), fc.integer({ min: -3, max: 9 }), fc.boolean()).map(
    ([count, letter, power, plus]) => `${count}${letter}${plus && power >= 0 ? '+' : ''}${power}`,
  ),
  fc.tuple(fc.integer({ min: 0, max: 999 }), fc.constantFrom('k', 'M', 'G')).map(([count, unit]) => `${count}${unit}`),
  fc.constantFrom(0.5, 0.25, 1.5, 0.1, 1, 2),
  fc.integer({ min: 0, max: 4_000_000_000 }),
);

const amounts: fc.Arbitrary<Amounts> = fc.record({ cpu: quantity, memory: quantity }, { requiredKeys: [], noNullPrototype: true });

/** Resources absent (undefined), `{}`, or any subset of requests/limits × cpu/memory. */
const resources: fc.Arbitrary<Resources | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constant({}),
  fc.record({ requests: amounts, limits: amounts }, { requiredKeys: [], noNullPrototype: true }),
);

const initContainer = (index: number): fc.Arbitrary<GenContainer> =>
  fc
    .record({ resources, restartPolicy: maybe(fc.constant('Always' as const), 3) })
    .map((optional) => withOptional({ name: `init-${index}`, image: 'init' }, optional));

const initContainers: fc.Arbitrary<GenContainer[] | undefined> = maybe(
  fc.integer({ min: 0, max: 3 }).chain((count) => fc.tuple(...Array.from({ length: count }, (_, index) => initContainer(index)))),
  4,
);

const probe: fc.Arbitrary<Probe> = fc.constantFrom<Probe>(
  { exec: { command: ['true'] } },
  { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 10 },
  { tcpSocket: { port: 'agui' } },
);

const ports: fc.Arbitrary<ContainerPort[]> = fc.oneof(
  fc.constant<ContainerPort[]>([]),
  fc.integer({ min: 1, max: 65535 }).map((port) => [{ name: 'agui', containerPort: port, protocol: 'TCP' }]),
  fc.integer({ min: 1, max: 65535 }).map((port) => [{ name: 'http', containerPort: port }]),
  fc.integer({ min: 1, max: 65535 }).map((port) => [{ containerPort: port }]),
  fc.integer({ min: 1, max: 65535 }).map((port) => [{ name: 'metrics', containerPort: 9100 }, { name: 'agui', containerPort: port }]),
);

const env: fc.Arbitrary<EnvVar[]> = fc
  .tuple(
    fc.oneof(
      fc.constantFrom('9000', '8001', '$(PORT)', '80a', '0', '70000').map((value): EnvVar => ({ name: 'AGUI_PORT', value })),
      fc.constant<EnvVar>({ name: 'AGUI_PORT', valueFrom: { configMapKeyRef: { name: 'runtime', key: 'port' } } }),
      fc.constant<EnvVar>({ name: 'AGUI_PORT', value: '9000', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }),
    ),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([port, withPort, secretFirst]) => {
    const secret: EnvVar = { name: 'ANTHROPIC_API_KEY', value: 'sk-secret' };
    if (!withPort) return [secret];
    return secretFirst ? [secret, port] : [port, secret];
  });

const runner: fc.Arbitrary<GenContainer> = fc
  .record({ ports: maybe(ports, 2), env: maybe(env, 2), readinessProbe: maybe(probe, 2), livenessProbe: maybe(probe, 2) })
  .map((optional) => withOptional({ name: RUNNER, image: 'runner' }, optional));

const sidecar = (index: number): fc.Arbitrary<GenContainer> =>
  maybe(probe, 3).map((livenessProbe) =>
    withOptional(
      {
        name: index === 0 ? 'state-sync' : `sidecar-${index}`,
        image: 'sidecar',
        resources: { requests: { cpu: '100m' }, limits: { cpu: '1' } },
      },
      { livenessProbe },
    ),
  );

/** The runner container or not, at any position among up to two sidecars. */
const containers: fc.Arbitrary<GenContainer[]> = fc
  .tuple(maybe(runner, 4), fc.integer({ min: 0, max: 2 }), fc.nat())
  .chain(([theRunner, count, position]) =>
    fc.tuple(...Array.from({ length: count }, (_, index) => sidecar(index))).map((sidecars) => {
      const list: GenContainer[] = [...sidecars];
      if (theRunner) list.splice(position % (list.length + 1), 0, theRunner);
      return list.length > 0 ? list : [{ name: 'only', image: 'only' }];
    }),
  );

const labels: fc.Arbitrary<Record<string, string> | undefined> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ app: RUNNER, 'agentic-session': 'session-1' }) },
  { weight: 1, arbitrary: fc.constant({ app: RUNNER }) },
  { weight: 1, arbitrary: fc.constant({ app: 'backend' }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

/** Keys that need `~0`/`~1` escaping in a JSON pointer, beside the skip and applied annotations. */
const ESCAPED_KEYS = ['a/b', 'x~y', '~1', '~0', '/', 'a~1b', 'example.com/owner'];
const annotations: fc.Arbitrary<Record<string, string> | undefined> = maybe(
  fc
    .record({
      other: fc.subarray(ESCAPED_KEYS),
      skip: maybe(fc.constantFrom('true', 'false', 'TRUE', 'yes'), 2),
      applied: maybe(
        fc.constantFrom(
          'readiness-probe',
          'init-resources,liveness-probe,readiness-probe,restart-policy',
          'restart-policy,init-resources',
          ' liveness-probe , bogus',
          '',
        ),
        2,
      ),
    })
    .map(({ other, skip, applied }) =>
      withOptional(Object.fromEntries(other.map((key, index) => [key, `value-${index}`])), { [SKIP]: skip, [APPLIED]: applied }),
    ),
  3,
);

const OWNERS: OwnerReference[] = [
  { apiVersion: 'vteam.ambient-code/v1alpha1', kind: 'AgenticSession', name: 'session-1', uid: 'u-1', controller: true },
  { apiVersion: 'batch/v1', kind: 'Job', name: 'job-1', uid: 'u-2', controller: true },
  { apiVersion: 'batch/v1', kind: 'CronJob', name: 'cron-1', uid: 'u-3' },
  { apiVersion: 'example.com/v1', kind: 'Job', name: 'not-batch', uid: 'u-4' },
];
const ownerReferences: fc.Arbitrary<OwnerReference[] | undefined> = maybe(fc.subarray(OWNERS, { minLength: 1 }), 2);

const restartPolicy = fc.oneof(
  { weight: 3, arbitrary: fc.constant('Never' as const) },
  { weight: 1, arbitrary: fc.constantFrom('OnFailure' as const, 'Always' as const, undefined) },
);

/** A pod as the operator (or someone else) might send it, varying every input the rules read. */
export const pod: fc.Arbitrary<GenPod> = fc
  .record({ labels, annotations, ownerReferences, containers, initContainers, restartPolicy })
  .map(({ labels, annotations, ownerReferences, containers, initContainers, restartPolicy }) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: withOptional({ name: 'session-1-runner', namespace: 'team' }, { labels, annotations, ownerReferences }),
    spec: withOptional({ containers }, { initContainers, restartPolicy }),
  }));

/** Places where junk replaces what a pod normally has there (indexes that are absent are skipped). */
const JUNK_PATHS: readonly (readonly (string | number)[])[] = [
  [],
  ['kind'],
  ['metadata'],
  ['metadata', 'labels'],
  ['metadata', 'annotations'],
  ['metadata', 'annotations', APPLIED],
  ['metadata', 'ownerReferences'],
  ['metadata', 'ownerReferences', 0],
  ['spec'],
  ['spec', 'restartPolicy'],
  ['spec', 'containers'],
  ['spec', 'containers', 0],
  ['spec', 'containers', 0, 'name'],
  ['spec', 'containers', 0, 'ports'],
  ['spec', 'containers', 0, 'env'],
  ['spec', 'containers', 0, 'readinessProbe'],
  ['spec', 'initContainers'],
  ['spec', 'initContainers', 0],
  ['spec', 'initContainers', 0, 'resources'],
  ['spec', 'initContainers', 0, 'resources', 'requests'],
  ['spec', 'initContainers', 0, 'resources', 'limits', 'cpu'],
];

const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('1constructor', '1__proto__', '1e1000', 'lots', '', null, -1, 1e300),
);

function replaceAt(document: unknown, path: readonly (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  let parent = document as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) {
    const child = parent[key];
    if (typeof child !== 'object' || child === null) return document;
    parent = child as Record<string | number, unknown>;
  }
  parent[path[path.length - 1] as string | number] = value;
  return document;
}

/** A generated pod with junk JSON (or an unreadable quantity) put in place of one of its parts. */
export const podWithJunk: fc.Arbitrary<unknown> = fc
  .tuple(pod, fc.constantFrom(...JUNK_PATHS), junk)
  .map(([generated, path, value]) => replaceAt(structuredClone(generated), path, value));

// LimitRanges for the LimitRange property: one or two, each with Container and Pod items that set
// any subset of min, max and maxLimitRequestRatio for cpu and memory, from pools around the defaults.
export type GenLimitRangeItem = { type: 'Container' | 'Pod'; min?: Amounts; max?: Amounts; maxLimitRequestRatio?: Amounts };
export type GenLimitRange = { apiVersion: 'v1'; kind: 'LimitRange'; metadata: { name: string; namespace: string }; spec: { limits: GenLimitRangeItem[] } };

const bound = (cpu: string[], memory: string[]) =>
  fc.record({ cpu: fc.constantFrom(...cpu), memory: fc.constantFrom(...memory) }, { requiredKeys: [], noNullPrototype: true });

const limitRangeItem: fc.Arbitrary<GenLimitRangeItem> = fc
  .record({
    // Pod items more often: a Container bound makes every container state that resource, so a pod
    // whose init container lacks it is rejected before the webhook adds anything.
    type: fc.constantFrom('Container' as const, 'Pod' as const, 'Pod' as const),
    min: maybe(bound(['10m', '100m', '150m', '300m', '1'], ['64Mi', '128Mi', '200Mi', '1Gi']), 2),
    max: maybe(bound(['250m', '500m', '1', '1500m', '3'], ['256Mi', '512Mi', '1Gi', '1536Mi', '4Gi']), 2),
    maxLimitRequestRatio: maybe(bound(['1', '1.5', '3', '4', '10'], ['1', '2', '3', '8']), 2),
  })
  .map(({ type, ...bounds }) => withOptional({ type }, bounds));

export const limitRanges: fc.Arbitrary<GenLimitRange[]> = fc
  .array(fc.array(limitRangeItem, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 2 })
  .map((lists) =>
    lists.map((limits, index): GenLimitRange => ({
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: `limits-${index}`, namespace: 'team' },
      spec: { limits },
    })),
  );

/** Complete resources for a regular container, often inside the generated bounds. */
export const completeResources: fc.Arbitrary<Resources> = fc
  .tuple(fc.constantFrom('100m', '250m', '500m', '1'), fc.constantFrom('128Mi', '256Mi', '512Mi'), fc.constantFrom(1, 2, 4))
  .map(([cpu, memory, factor]) => ({
    requests: { cpu, memory },
    limits: { cpu: `${Number.parseInt(cpu, 10) * (cpu.endsWith('m') ? 1 : 1000) * factor}m`, memory: `${Number.parseInt(memory, 10) * factor}Mi` },
  }));

/** A runner pod whose regular containers all state complete resources, and any init containers (sidecars among them). */
export const podForLimitRanges: fc.Arbitrary<GenPod> = fc
  .tuple(pod, fc.array(completeResources, { minLength: 3, maxLength: 3 }))
  .map(([generated, resources]) => ({
    ...generated,
    metadata: { ...generated.metadata, labels: { app: RUNNER }, annotations: undefined },
    spec: { ...generated.spec, containers: generated.spec.containers.map((container, index) => ({ ...container, resources: resources[index % 3] })) },
  }))
  .map((generated) => ({ ...generated, metadata: withOptional({ name: generated.metadata.name, namespace: generated.metadata.namespace }, { labels: generated.metadata.labels }) }));

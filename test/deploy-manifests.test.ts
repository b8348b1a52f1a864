// deploy/ rendered as kustomize would (the files kustomization.yaml lists, every YAML document in
// each), then checked three ways: each object against the Kubernetes schema (kubernetes-models),
// each object for the fields the install relies on, and the set for names that agree with each
// other and with the bootstrap's defaults. No kustomize or kubectl binary is needed.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ClusterRole, type IClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding, type IClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role, type IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding, type IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { CronJob, type ICronJob } from 'kubernetes-models/batch/v1/CronJob';
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { NetworkPolicy, type INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import {
  MutatingWebhookConfiguration,
  type IMutatingWebhookConfiguration,
} from 'kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration';
import { ConfigMap, type IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service, type IService } from 'kubernetes-models/v1/Service';
import { ServiceAccount, type IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { defaultConfig, parseConfig } from '../src/config.js';
import { DEFAULT_NAMESPACE, DEFAULT_SECRET, DEFAULT_SERVICE, DEFAULT_WEBHOOK_CONFIG } from '../src/tls/certificate-files.js';

const DEPLOY = fileURLToPath(new URL('../deploy/', import.meta.url));
const README = fileURLToPath(new URL('../README.md', import.meta.url));
const NAMESPACE = 'runner-defaults';

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; generateName?: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

function readManifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(DEPLOY + file, 'utf8')).map((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]?.message}`);
    return document.toJS() as Manifest;
  });
}

const kustomization = parse(readFileSync(`${DEPLOY}kustomization.yaml`, 'utf8')) as { kind: string; resources: string[] };
const rendered = kustomization.resources.flatMap((file) => readManifests(file).map((object) => ({ file, object })));
const objects = rendered.map(({ object }) => object);

function one<T>(kind: string, name?: string): T {
  const found = objects.filter((object) => object.kind === kind && (name === undefined || object.metadata?.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` named ${name}` : ''}, found ${found.length}`);
  return found[0] as unknown as T;
}

const deployment = one<IDeployment>('Deployment');
const service = one<IService>('Service');
const webhookConfig = one<IMutatingWebhookConfiguration>('MutatingWebhookConfiguration');
/** The webhook's pods' identity, the bootstrap's and audit's. */
const serviceAccount = one<IServiceAccount>('ServiceAccount', 'runner-defaults');
const bootstrapAccount = one<IServiceAccount>('ServiceAccount', 'runner-defaults-bootstrap');
const auditAccount = one<IServiceAccount>('ServiceAccount', 'runner-defaults-audit');
const configMap = one<IConfigMap>('ConfigMap');
const bootstrapRole = one<IClusterRole>('ClusterRole', 'runner-defaults-bootstrap');
const bootstrapRoleBinding = one<IClusterRoleBinding>('ClusterRoleBinding', 'runner-defaults-bootstrap');
const auditRole = one<IClusterRole>('ClusterRole', 'runner-defaults-audit');
const auditRoleBinding = one<IClusterRoleBinding>('ClusterRoleBinding', 'runner-defaults-audit');
const webhookRole = one<IClusterRole>('ClusterRole', 'runner-defaults-webhook');
const webhookRoleBinding = one<IClusterRoleBinding>('ClusterRoleBinding', 'runner-defaults-webhook');
const role = one<IRole>('Role');
const roleBinding = one<IRoleBinding>('RoleBinding');
const pdb = one<IPodDisruptionBudget>('PodDisruptionBudget');
const networkPolicy = one<INetworkPolicy>('NetworkPolicy');
const podSpec = deployment.spec?.template.spec;
const container = podSpec?.containers[0] as IContainer;
const podLabels = deployment.spec?.template.metadata?.labels ?? {};

/** The value of --name=value or --name value in an argument list. */
function flag(args: readonly string[] | undefined, name: string): string | undefined {
  const list = args ?? [];
  const index = list.findIndex((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));
  if (index < 0) return undefined;
  const arg = list[index] as string;
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : list[index + 1];
}

/** A port given by name or number, resolved against the container's ports. */
function containerPort(port: number | string | undefined): number | undefined {
  return typeof port === 'number' ? port : container.ports?.find((candidate) => candidate.name === port)?.containerPort;
}

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value);

const VALIDATORS: Record<string, (object: unknown) => void> = {
  Namespace: (object) => new Namespace(object as Namespace).validate(),
  ServiceAccount: (object) => new ServiceAccount(object as IServiceAccount).validate(),
  ClusterRole: (object) => new ClusterRole(object as IClusterRole).validate(),
  ClusterRoleBinding: (object) => new ClusterRoleBinding(object as IClusterRoleBinding).validate(),
  Role: (object) => new Role(object as IRole).validate(),
  RoleBinding: (object) => new RoleBinding(object as IRoleBinding).validate(),
  ConfigMap: (object) => new ConfigMap(object as IConfigMap).validate(),
  Service: (object) => new Service(object as IService).validate(),
  Deployment: (object) => new Deployment(object as IDeployment).validate(),
  PodDisruptionBudget: (object) => new PodDisruptionBudget(object as IPodDisruptionBudget).validate(),
  NetworkPolicy: (object) => new NetworkPolicy(object as INetworkPolicy).validate(),
  MutatingWebhookConfiguration: (object) => new MutatingWebhookConfiguration(object as IMutatingWebhookConfiguration).validate(),
  CronJob: (object) => new CronJob(object as ICronJob).validate(),
};
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'MutatingWebhookConfiguration']);

describe('the kustomization', () => {
  it('lists every manifest in deploy/, and nothing else', () => {
    const files = readdirSync(DEPLOY).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml');
    expect(kustomization.kind).toBe('Kustomization');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
  });

  it('renders each object the install needs: one of each, but three identities with their roles', () => {
    expect(objects.map((object) => object.kind).sort()).toEqual(
      [
        ...['ClusterRole', 'ClusterRole', 'ClusterRole', 'ClusterRoleBinding', 'ClusterRoleBinding', 'ClusterRoleBinding', 'ConfigMap', 'CronJob', 'Deployment'],
        ...['MutatingWebhookConfiguration', 'Namespace', 'NetworkPolicy', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service'],
        ...['ServiceAccount', 'ServiceAccount', 'ServiceAccount'],
      ].sort(),
    );
  });

  it.each(rendered.map(({ file, object }) => ({
    file, kind: object.kind, name: object.metadata.name ?? object.metadata.generateName, object,
  })))('the $kind $name in $file matches the Kubernetes schema', ({ kind, object }) => {
    const validate = VALIDATORS[kind];
    expect(validate, `no validator for ${kind}`).toBeDefined();
    expect(() => validate?.(object)).not.toThrow();
  });

  it.each([
    { what: 'a Deployment whose replicas is a word', kind: 'Deployment', path: ['spec', 'replicas'], value: 'two' },
    { what: 'a webhook whose failurePolicy is not one Kubernetes knows', kind: 'MutatingWebhookConfiguration', path: ['webhooks', 0, 'failurePolicy'], value: 'Ignored' },
    { what: 'a Service whose port is a string', kind: 'Service', path: ['spec', 'ports', 0, 'port'], value: '443' },
    { what: 'a PodDisruptionBudget whose selector is a list', kind: 'PodDisruptionBudget', path: ['spec', 'selector'], value: [] },
  ])('$what fails schema validation, so the check can fail', ({ kind, path, value }) => {
    const broken = structuredClone(objects.find((object) => object.kind === kind)) as Record<string | number, unknown>;
    let parent = broken;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    parent[path.at(-1) as string | number] = value;
    expect(() => VALIDATORS[kind]?.(broken)).toThrow();
  });

  it.each(rendered.map(({ object }) => ({ kind: object.kind, name: object.metadata.name, object })))(
    'the $kind $name is in the runner-defaults namespace, or cluster-scoped',
    ({ kind, object }) => {
      expect(object.metadata.namespace).toBe(CLUSTER_SCOPED.has(kind) ? undefined : NAMESPACE);
    },
  );

  it('creates the namespace the objects live in, and the bootstrap defaults name it', () => {
    expect(one<Manifest>('Namespace').metadata.name).toBe(NAMESPACE);
    expect(DEFAULT_NAMESPACE).toBe(NAMESPACE);
  });
});

describe('the Deployment', () => {
  it('runs two replicas spread across nodes', () => {
    expect(deployment.spec?.replicas).toBe(2);
    const spread = podSpec?.topologySpreadConstraints?.find((constraint) => constraint.topologyKey === 'kubernetes.io/hostname');
    const antiAffinity = podSpec?.affinity?.podAntiAffinity;
    expect(spread ?? antiAffinity).toBeDefined();
    if (spread) expect(matches(spread.labelSelector?.matchLabels, podLabels)).toBe(true);
  });

  it("selects its own pods' labels", () => {
    expect(matches(deployment.spec?.selector.matchLabels, podLabels)).toBe(true);
  });

  it('listens on 10250 and names that port for the Service and the probes', () => {
    expect(flag(container.args, 'port')).toBe('10250');
    expect(container.ports?.map((port) => port.containerPort)).toEqual([10250]);
  });

  it.each([
    { probe: 'readinessProbe', path: '/readyz' },
    { probe: 'livenessProbe', path: '/healthz' },
  ] as const)('has a $probe on $path over HTTPS on the container port', ({ probe, path }) => {
    const httpGet = container[probe]?.httpGet;
    expect(httpGet?.path).toBe(path);
    expect(httpGet?.scheme).toBe('HTTPS');
    expect(containerPort(httpGet?.port)).toBe(10250);
  });

  it('runs as a numeric non-root user with a read-only root, no capabilities, no escalation and the runtime seccomp profile', () => {
    const pod = podSpec?.securityContext;
    const own = container.securityContext;
    expect(pod?.runAsNonRoot ?? own?.runAsNonRoot).toBe(true);
    expect(own?.runAsUser ?? pod?.runAsUser).toBeGreaterThan(0);
    expect(own?.readOnlyRootFilesystem).toBe(true);
    expect(own?.allowPrivilegeEscalation).toBe(false);
    expect(own?.capabilities?.drop).toEqual(['ALL']);
    expect(own?.seccompProfile?.type ?? pod?.seccompProfile?.type).toBe('RuntimeDefault');
  });

  it('has resource requests and a memory limit', () => {
    expect(container.resources?.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources?.limits?.memory).toEqual(expect.any(String));
  });

  it('runs as its own ServiceAccount with a token, which it needs to watch LimitRanges', () => {
    expect(podSpec?.serviceAccountName).toBe(serviceAccount.metadata?.name);
    expect(podSpec?.automountServiceAccountToken).toBe(true);
  });

  it('waits a few seconds on SIGTERM, and the grace period outlasts that delay and the shutdown timeout', () => {
    const delay = Number(flag(container.args, 'shutdown-delay-seconds'));
    const timeout = Number(flag(container.args, 'shutdown-timeout-seconds') ?? 10);
    expect(delay).toBeGreaterThanOrEqual(2);
    expect(delay).toBeLessThanOrEqual(15);
    expect(podSpec?.terminationGracePeriodSeconds).toBeGreaterThan(delay + timeout);
  });

  it('reads its certificate from the Secret the bootstrap writes, at the paths given to --tls-cert and --tls-key', () => {
    const volume = podSpec?.volumes?.find((candidate) => candidate.secret);
    expect(volume?.secret?.secretName).toBe(DEFAULT_SECRET);
    // Readable by the pod's group (fsGroup) only, whichever YAML version reads the file.
    expect(volume?.secret?.defaultMode).toBe(0o440);
    expect(podSpec?.securityContext?.fsGroup).toBeDefined();
    const mount = container.volumeMounts?.find((candidate) => candidate.name === volume?.name);
    expect(mount?.readOnly).toBe(true);
    expect(flag(container.args, 'tls-cert')).toBe(`${mount?.mountPath}/tls.crt`);
    expect(flag(container.args, 'tls-key')).toBe(`${mount?.mountPath}/tls.key`);
  });

  it('reads its config from the ConfigMap, at the path given to --config', () => {
    const volume = podSpec?.volumes?.find((candidate) => candidate.configMap);
    expect(volume?.configMap?.name).toBe(configMap.metadata?.name);
    const mount = container.volumeMounts?.find((candidate) => candidate.name === volume?.name);
    const key = Object.keys(configMap.data ?? {})[0];
    expect(flag(container.args, 'config')).toBe(`${mount?.mountPath}/${key}`);
  });

  it('starts the server', () => {
    expect(container.args?.[0]).toBe('serve');
  });
});

describe('the Service, PodDisruptionBudget and NetworkPolicy', () => {
  it("select the Deployment's pods", () => {
    expect(matches(service.spec?.selector, podLabels)).toBe(true);
    expect(matches(pdb.spec?.selector?.matchLabels, podLabels)).toBe(true);
    expect(matches(networkPolicy.spec?.podSelector.matchLabels, podLabels)).toBe(true);
  });

  it('send 443 to the container port that --port opens', () => {
    const [port] = service.spec?.ports ?? [];
    expect(port?.port).toBe(443);
    expect(containerPort(port?.targetPort)).toBe(Number(flag(container.args, 'port')));
  });

  it('keep one webhook pod up through a drain, but never hold one that is not ready', () => {
    expect(pdb.spec?.minAvailable).toBe(1);
    expect(pdb.spec?.unhealthyPodEvictionPolicy).toBe('AlwaysAllow');
  });

  it('let traffic in on the webhook port only', () => {
    expect(networkPolicy.spec?.policyTypes).toEqual(['Ingress']);
    const ports = networkPolicy.spec?.ingress?.flatMap((rule) => rule.ports ?? []) ?? [];
    expect(ports.map((port) => containerPort(port.port))).toEqual([10250]);
  });

  it('name the Service the bootstrap makes the certificate for', () => {
    expect(service.metadata?.name).toBe(DEFAULT_SERVICE);
  });
});

describe('the MutatingWebhookConfiguration', () => {
  const [webhook] = webhookConfig.webhooks ?? [];

  it('has one webhook, named as the bootstrap patches it', () => {
    expect(webhookConfig.apiVersion).toBe('admissionregistration.k8s.io/v1');
    expect(webhookConfig.metadata?.name).toBe(DEFAULT_WEBHOOK_CONFIG);
    expect(webhookConfig.webhooks).toHaveLength(1);
  });

  it('calls the Service on 443 at /mutate', () => {
    expect(webhook?.clientConfig.service).toEqual({
      name: service.metadata?.name,
      namespace: service.metadata?.namespace,
      path: '/mutate',
      port: service.spec?.ports?.[0]?.port,
    });
  });

  it('leaves caBundle to the bootstrap, so a later apply cannot reset it', () => {
    expect(webhook?.clientConfig.caBundle ?? '').toBe('');
    expect(webhook?.clientConfig.url).toBeUndefined();
  });

  it('sees pod CREATE only', () => {
    expect(webhook?.rules).toEqual([{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }]);
  });

  it('selects runner pods by the label the config selects', () => {
    expect(webhook?.objectSelector).toEqual({ matchLabels: defaultConfig.selector.matchLabels });
  });

  it("leaves out kube-system and the webhook's own namespace", () => {
    expect(webhook?.namespaceSelector?.matchExpressions).toEqual([
      { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', NAMESPACE] },
    ]);
  });

  it.each([
    { field: 'sideEffects', value: 'None' },
    { field: 'failurePolicy', value: 'Ignore' },
    { field: 'timeoutSeconds', value: 5 },
    { field: 'reinvocationPolicy', value: 'IfNeeded' },
    { field: 'matchPolicy', value: 'Equivalent' },
    { field: 'admissionReviewVersions', value: ['v1', 'v1beta1'] },
  ] as const)('sets $field to $value', ({ field, value }) => {
    expect(webhook?.[field]).toEqual(value);
  });
});

describe('RBAC', () => {
  const bootstrap = { kind: 'ServiceAccount', name: bootstrapAccount.metadata?.name, namespace: NAMESPACE };
  const audit = { kind: 'ServiceAccount', name: auditAccount.metadata?.name, namespace: NAMESPACE };
  const webhookAccount = { kind: 'ServiceAccount', name: serviceAccount.metadata?.name, namespace: NAMESPACE };

  it.each([
    { what: "the bootstrap's ClusterRoleBinding", binding: bootstrapRoleBinding, roleKind: 'ClusterRole', roleName: bootstrapRole.metadata?.name, account: bootstrap },
    { what: "the bootstrap's RoleBinding", binding: roleBinding, roleKind: 'Role', roleName: role.metadata?.name, account: bootstrap },
    { what: "audit's ClusterRoleBinding", binding: auditRoleBinding, roleKind: 'ClusterRole', roleName: auditRole.metadata?.name, account: audit },
    { what: "the webhook's ClusterRoleBinding", binding: webhookRoleBinding, roleKind: 'ClusterRole', roleName: webhookRole.metadata?.name, account: webhookAccount },
  ])('$what grants its role to its ServiceAccount only', ({ binding, roleKind, roleName, account }) => {
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: roleName });
    expect(binding.subjects).toEqual([account]);
  });

  it("gives the webhook's pods list and watch on LimitRanges, and nothing else", () => {
    expect(webhookRole.rules).toEqual([{ apiGroups: [''], resources: ['limitranges'], verbs: ['list', 'watch'] }]);
  });

  it('lets audit list pods and LimitRanges cluster-wide, and nothing else (no get, no watch)', () => {
    expect(auditRole.rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      { apiGroups: [''], resources: ['limitranges'], verbs: ['list'] },
    ]);
  });

  it('lets the bootstrap get and patch the one webhook configuration, by name, and read no pod', () => {
    expect(bootstrapRole.rules).toEqual([
      { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], resourceNames: [webhookConfig.metadata?.name], verbs: ['get', 'patch'] },
    ]);
  });

  it('mounts the token of no identity but the webhook pods\' own', () => {
    expect(serviceAccount.automountServiceAccountToken).toBe(true);
    expect(bootstrapAccount.automountServiceAccountToken).toBe(false);
    expect(auditAccount.automountServiceAccountToken).toBe(false);
  });

  it('gets and updates the one TLS Secret by name, and creates Secrets in its own namespace only', () => {
    expect(role.metadata?.namespace).toBe(NAMESPACE);
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: [DEFAULT_SECRET], verbs: ['get', 'update'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
    ]);
  });

  it('grants nothing else', () => {
    const rules = [...(bootstrapRole.rules ?? []), ...(auditRole.rules ?? []), ...(role.rules ?? []), ...(webhookRole.rules ?? [])];
    expect(new Set(rules.flatMap((rule) => rule.resources ?? []))).toEqual(new Set(['pods', 'mutatingwebhookconfigurations', 'secrets', 'limitranges']));
    expect(rules.flatMap((rule) => rule.verbs)).not.toContain('*');
  });
});

describe('the config', () => {
  const text = Object.values(configMap.data ?? {})[0] ?? '';

  it('is a valid config that holds exactly the embedded defaults', () => {
    expect(parseConfig(parse(text), 'deploy/configmap.yaml')).toEqual(defaultConfig);
  });

  it('says the same as examples/config.yaml', () => {
    expect(text).toBe(readFileSync(new URL('../examples/config.yaml', import.meta.url), 'utf8'));
  });
});

describe('the certificate CronJob', () => {
  const cronJob = one<ICronJob>('CronJob');
  const jobSpec = cronJob.spec?.jobTemplate.spec;
  const spec = jobSpec?.template.spec;
  const certs = spec?.containers[0];

  it('runs certs --apply with the defaults deploy/ uses', () => {
    expect(certs?.args?.slice(0, 2)).toEqual(['certs', '--apply']);
    expect(flag(certs?.args, 'service')).toBe(service.metadata?.name);
    expect(flag(certs?.args, 'namespace')).toBe(NAMESPACE);
    expect(flag(certs?.args, 'secret')).toBe(DEFAULT_SECRET);
    expect(flag(certs?.args, 'webhook-config')).toBe(webhookConfig.metadata?.name);
  });

  it('runs in the namespace as the bootstrap ServiceAccount, with its token, from the same image as the server', () => {
    expect(cronJob.metadata?.namespace).toBe(NAMESPACE);
    expect(spec?.serviceAccountName).toBe(bootstrapAccount.metadata?.name);
    expect(spec?.automountServiceAccountToken).toBe(true);
    expect(certs?.image).toBe(container.image);
  });

  it('runs weekly in UTC, one run at a time, and gives up on a pod that never starts', () => {
    // Weekly renews well inside the 30 days before expiry at which certs --apply renews.
    expect(cronJob.spec?.schedule).toMatch(/^\d+ \d+ \* \* [0-6]$/);
    expect(cronJob.spec?.timeZone).toBe('Etc/UTC');
    expect(cronJob.spec?.concurrencyPolicy).toBe('Forbid');
    expect(jobSpec?.activeDeadlineSeconds).toBeGreaterThan(0);
  });

  it('meets the same restricted security settings as the server', () => {
    expect(spec?.securityContext?.runAsNonRoot).toBe(true);
    expect(certs?.securityContext).toEqual(container.securityContext);
  });

  it('is the one the README makes the first Job from, and the README follows that Job by its name', () => {
    const readme = readFileSync(README, 'utf8');
    const command = /kubectl -n (\S+) create job --from=cronjob\/(\S+) (\S+)/.exec(readme);
    expect(command?.slice(1, 3)).toEqual([NAMESPACE, cronJob.metadata?.name]);
    const job = command?.[3] ?? '';
    for (const follow of [`wait --for=condition=complete job/${job} `, `logs job/${job}`, `delete job ${job}`]) expect(readme).toContain(follow);
  });

  it("runs pods that the Service, the PodDisruptionBudget and the NetworkPolicy do not take for the webhook's", () => {
    const labels = jobSpec?.template.metadata?.labels ?? {};
    expect(matches(service.spec?.selector, labels)).toBe(false);
    expect(matches(pdb.spec?.selector?.matchLabels, labels)).toBe(false);
    expect(matches(networkPolicy.spec?.podSelector.matchLabels, labels)).toBe(false);
  });
});

describe('the Dockerfile', () => {
  const dockerfile = readFileSync(fileURLToPath(new URL('../Dockerfile', import.meta.url)), 'utf8');

  it("exposes the Deployment's port and by default serves as the Deployment does, from the Secret's mount", () => {
    expect(/^EXPOSE (\d+)$/m.exec(dockerfile)?.[1]).toBe(String(container.ports?.[0]?.containerPort));
    const command = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
    expect(command[0]).toBe('serve');
    expect(command.length).toBeGreaterThan(1);
    for (const argument of command) expect(container.args).toContain(argument);
  });

  it('runs node without the memory reducer, as npm start does', () => {
    const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
    expect(entrypoint).toStrictEqual(['node', '--no-memory-reducer', 'dist/cli.js']);
    const { scripts } = JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as { scripts: Record<string, string> };
    expect(scripts.start).toContain(`${entrypoint.join(' ')} serve`);
  });
});

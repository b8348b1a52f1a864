// The webhook's settings: the platform's defaults (DESIGN.md), and how a YAML or JSON file
// overrides them. A bad file is rejected before any pod is seen, with the key path and reason.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DocumentError, parseDocument } from './read-document.js';
import { compareQuantities, isQuantity, parseQuantity } from './rules/quantity.js';

const NOT_A_QUANTITY = 'is not a Kubernetes quantity (for example 100m, 0.5, 128Mi, 1Gi)';
const quantity = z
  .union([z.string(), z.number()], { error: NOT_A_QUANTITY })
  .refine((value) => isQuantity(value), { message: NOT_A_QUANTITY })
  .refine((value) => !isQuantity(value) || parseQuantity(value).num >= 0n, { message: 'must not be negative' })
  .transform(String);

/** The largest value a probe's int32 fields take; the API server refuses a pod with more. */
const INT32_MAX = 2_147_483_647;
const seconds = (min: number) =>
  z
    .int()
    .min(min, { message: `must be a whole number of at least ${min}` })
    .max(INT32_MAX, { message: `must be at most ${INT32_MAX} (a probe's fields are 32-bit)` });

function probeSettings(defaults: { initialDelaySeconds: number; periodSeconds: number; timeoutSeconds: number }) {
  return z
    .strictObject({
      enabled: z.boolean().default(true),
      path: z.string().startsWith('/', { message: 'must be an absolute HTTP path such as /health' }).default('/health'),
      initialDelaySeconds: seconds(0).default(defaults.initialDelaySeconds),
      periodSeconds: seconds(1).default(defaults.periodSeconds),
      timeoutSeconds: seconds(1).default(defaults.timeoutSeconds),
      failureThreshold: seconds(1).default(3),
    })
    .prefault({});
}

const resourceAmounts = (cpu: string, memory: string) =>
  z.strictObject({ cpu: quantity.default(cpu), memory: quantity.default(memory) }).prefault({});

const labelSelector = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).default({}),
  matchExpressions: z
    .array(
      z
        .strictObject({
          key: z.string().min(1),
          operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
          values: z.array(z.string()).default([]),
        })
        // As the API server validates a label selector: In and NotIn need values, Exists and DoesNotExist take none.
        .superRefine(({ operator, values }, context) => {
          const takesValues = operator === 'In' || operator === 'NotIn';
          if (takesValues === values.length > 0) return;
          const message = takesValues ? `must not be empty for ${operator}` : `must be empty for ${operator}`;
          context.addIssue({ code: 'custom', path: ['values'], message });
        }),
    )
    .default([]),
});

const configSchema = z.strictObject({
  /** Which pods are runner pods: a Kubernetes label selector. */
  selector: labelSelector.default({ matchLabels: { app: 'ambient-code-runner' }, matchExpressions: [] }),
  /** The container that serves AG-UI and answers GET /health. */
  runnerContainer: z.string().min(1).default('ambient-code-runner'),
  /** How the probes find the runner's port: a named container port, then an env var, then the first port, then this number. */
  port: z
    .strictObject({
      name: z.string().min(1).default('agui'),
      env: z.string().min(1).default('AGUI_PORT'),
      fallback: z.int().min(1).max(65535).default(8001),
    })
    .prefault({}),
  readinessProbe: probeSettings({ initialDelaySeconds: 3, periodSeconds: 5, timeoutSeconds: 2 }),
  livenessProbe: probeSettings({ initialDelaySeconds: 20, periodSeconds: 30, timeoutSeconds: 5 }),
  /** What a runner pod's restartPolicy Never becomes once it has a liveness probe; keep turns the rule off. */
  restartPolicy: z.enum(['OnFailure', 'Always', 'keep']).default('OnFailure'),
  initResources: z
    .strictObject({
      enabled: z.boolean().default(true),
      requests: resourceAmounts('100m', '128Mi'),
      limits: resourceAmounts('1', '1Gi'),
    })
    .prefault({})
    .superRefine((resources, context) => {
      for (const name of ['cpu', 'memory'] as const) {
        if (!isQuantity(resources.requests[name]) || !isQuantity(resources.limits[name])) continue;
        if (compareQuantities(parseQuantity(resources.requests[name]), parseQuantity(resources.limits[name])) > 0) {
          context.addIssue({
            code: 'custom',
            path: ['requests', name],
            message: `request ${resources.requests[name]} is above its limit ${resources.limits[name]}`,
          });
        }
      }
    }),
});

export type Config = z.infer<typeof configSchema>;
export type ProbeSettings = Config['readinessProbe'];
export type LabelSelector = Config['selector'];

export class ConfigError extends Error {}

/** The embedded defaults, as DESIGN.md gives them. */
export const defaultConfig: Config = configSchema.parse({});

/** Validates a parsed config document; throws ConfigError naming every bad key path. */
export function parseConfig(document: unknown, source = 'config'): Config {
  const result = configSchema.safeParse(document ?? {});
  if (result.success) return result.data;
  // zod also runs later checks on a value of the wrong type ("expected string" and then "too
  // small" for an array): the first issue at a path is the one that explains it.
  const seen = new Set<string>();
  const issues = result.error.issues.filter((issue) => {
    const key = issue.code === 'unrecognized_keys' ? `${formatPath(issue.path)}:${issue.keys.join()}` : formatPath(issue.path);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const lines = issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
    const reason = issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message;
    return keys.map((path) => `${formatPath(path)}: ${reason}`).join('\n');
  });
  throw new ConfigError(`${source}: invalid configuration\n${lines.join('\n')}`);
}

/** Reads a YAML or JSON config file; no file means the embedded defaults. */
export function loadConfig(file?: string): Config {
  if (!file) return defaultConfig;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${file}: cannot read config file: ${(error as Error).message}`);
  }
  let document: unknown;
  try {
    document = parseDocument(text);
  } catch (error) {
    if (error instanceof DocumentError) throw new ConfigError(`${file}: ${error.message}`);
    throw error;
  }
  if (document !== null && document !== undefined && (typeof document !== 'object' || Array.isArray(document))) {
    throw new ConfigError(`${file}: (root): must be a mapping of settings`);
  }
  return parseConfig(document, file);
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index ? '.' : ''}${String(key)}`)).join('');
}

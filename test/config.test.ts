// The webhook's settings: the embedded defaults are exactly DESIGN.md's, a YAML or JSON file
// overrides only the keys it names, and every bad file is refused naming the key path and reason.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig, loadConfig, parseConfig, type Config } from '../src/config.js';

const directory = mkdtempSync(join(tmpdir(), 'runner-defaults-config-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** Writes a config file into this run's temporary directory and returns its path. */
function configFile(name: string, text: string): string {
  const file = join(directory, name);
  writeFileSync(file, text);
  return file;
}

/** The error loadConfig throws for a file, or undefined when it loads. */
function refusal(file: string): unknown {
  try {
    loadConfig(file);
  } catch (error) {
    return error;
  }
  return undefined;
}

const DESIGN_DEFAULTS: Config = {
  selector: { matchLabels: { app: 'ambient-code-runner' }, matchExpressions: [] },
  runnerContainer: 'ambient-code-runner',
  port: { name: 'agui', env: 'AGUI_PORT', fallback: 8001 },
  readinessProbe: { enabled: true, path: '/health', initialDelaySeconds: 3, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 },
  livenessProbe: { enabled: true, path: '/health', initialDelaySeconds: 20, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3 },
  restartPolicy: 'OnFailure',
  initResources: { enabled: true, requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '1Gi' } },
};

describe('the embedded defaults', () => {
  it('defaultConfig is exactly the table in DESIGN.md', () => {
    expect(defaultConfig).toStrictEqual(DESIGN_DEFAULTS);
  });

  it('loadConfig with no file gives the embedded defaults', () => {
    expect(loadConfig()).toStrictEqual(DESIGN_DEFAULTS);
  });

  it.each([
    ['an empty file', 'empty.yaml', ''],
    ['a file with only a comment', 'comment.yaml', '# nothing overridden\n'],
    ['an empty JSON object', 'empty.json', '{}'],
  ])('%s gives the embedded defaults', (_what, name, text) => {
    expect(loadConfig(configFile(name, text))).toStrictEqual(DESIGN_DEFAULTS);
  });
});

describe('a config file overrides only the keys it names', () => {
  it.each([
    [
      'a YAML file (with YAML numbers for quantities)',
      'override.yaml',
      [
        'readinessProbe:',
        '  periodSeconds: 10',
        '  path: /ready',
        'restartPolicy: Always',
        'initResources:',
        '  limits:',
        '    cpu: 2',
        '    memory: 2Gi',
        '  requests:',
        '    cpu: 0.5',
        '',
      ].join('\n'),
      {
        ...DESIGN_DEFAULTS,
        readinessProbe: { ...DESIGN_DEFAULTS.readinessProbe, periodSeconds: 10, path: '/ready' },
        restartPolicy: 'Always',
        initResources: { enabled: true, requests: { cpu: '0.5', memory: '128Mi' }, limits: { cpu: '2', memory: '2Gi' } },
      },
    ],
    [
      'a JSON file',
      'override.json',
      JSON.stringify({
        runnerContainer: 'runner',
        port: { fallback: 9000 },
        livenessProbe: { enabled: false },
        selector: { matchLabels: { app: 'runner' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['batch'] }] },
      }),
      {
        ...DESIGN_DEFAULTS,
        runnerContainer: 'runner',
        port: { ...DESIGN_DEFAULTS.port, fallback: 9000 },
        livenessProbe: { ...DESIGN_DEFAULTS.livenessProbe, enabled: false },
        selector: { matchLabels: { app: 'runner' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['batch'] }] },
      },
    ],
    [
      'a YAML document between --- markers, as kubectl writes them',
      'markers.yaml',
      '---\nrestartPolicy: Always\n---\n',
      { ...DESIGN_DEFAULTS, restartPolicy: 'Always' },
    ],
  ] as [string, string, string, Config][])('%s keeps every default it does not name', (_what, name, text, expected) => {
    expect(loadConfig(configFile(name, text))).toStrictEqual(expected);
  });

  it('parseConfig of a null document (a YAML file with nothing in it) gives the defaults', () => {
    expect(parseConfig(null)).toStrictEqual(DESIGN_DEFAULTS);
  });
});

describe('a bad config file is refused with a ConfigError naming the key path and the reason', () => {
  /** The message for a file whose settings are invalid: a header line, then one line per problem. */
  const invalid = (...lines: string[]) => (file: string) => [`${file}: invalid configuration`, ...lines].join('\n');

  it.each([
    ['an unknown top-level key', 'unknown.yaml', 'readinesProbe:\n  periodSeconds: 5\n', invalid('readinesProbe: unknown key')],
    ['an unknown nested key', 'nested.yaml', 'readinessProbe:\n  perodSeconds: 5\n', invalid('readinessProbe.perodSeconds: unknown key')],
    [
      'a restartPolicy that is a number',
      'policy-number.yaml',
      'restartPolicy: 3\n',
      invalid('restartPolicy: Invalid option: expected one of "OnFailure"|"Always"|"keep"'),
    ],
    [
      'a restartPolicy that is not one of the choices',
      'policy-word.yaml',
      'restartPolicy: Sometimes\n',
      invalid('restartPolicy: Invalid option: expected one of "OnFailure"|"Always"|"keep"'),
    ],
    [
      'a period of 0 seconds',
      'period.yaml',
      'readinessProbe:\n  periodSeconds: 0\n',
      invalid('readinessProbe.periodSeconds: must be a whole number of at least 1'),
    ],
    [
      'a timeout of -1 seconds',
      'timeout.json',
      '{"livenessProbe": {"timeoutSeconds": -1}}',
      invalid('livenessProbe.timeoutSeconds: must be a whole number of at least 1'),
    ],
    [
      'an initial delay of 1.5 seconds',
      'delay.yaml',
      'livenessProbe:\n  initialDelaySeconds: 1.5\n',
      invalid('livenessProbe.initialDelaySeconds: Invalid input: expected int, received number'),
    ],
    [
      'a period given as a string',
      'period-string.yaml',
      'readinessProbe:\n  periodSeconds: "5"\n',
      invalid('readinessProbe.periodSeconds: Invalid input: expected number, received string'),
    ],
    [
      'a quantity that does not parse',
      'lots.yaml',
      'initResources:\n  limits:\n    memory: lots\n',
      invalid('initResources.limits.memory: is not a Kubernetes quantity (for example 100m, 0.5, 128Mi, 1Gi)'),
    ],
    [
      'a negative quantity',
      'negative.yaml',
      'initResources:\n  requests:\n    memory: -1Mi\n',
      invalid('initResources.requests.memory: must not be negative'),
    ],
    [
      'a request above its limit',
      'above.yaml',
      'initResources:\n  requests:\n    cpu: "2"\n  limits:\n    cpu: "1"\n',
      invalid('initResources.requests.cpu: request 2 is above its limit 1'),
    ],
    [
      'a limit below the default request it would pair with',
      'below.yaml',
      'initResources:\n  limits:\n    cpu: 50m\n',
      invalid('initResources.requests.cpu: request 100m is above its limit 50m'),
    ],
    [
      'a fallback port above 65535',
      'port.yaml',
      'port:\n  fallback: 70000\n',
      invalid('port.fallback: Too big: expected number to be <=65535'),
    ],
    [
      'a probe path not starting with /',
      'path.yaml',
      'readinessProbe:\n  path: health\n',
      invalid('readinessProbe.path: must be an absolute HTTP path such as /health'),
    ],
    [
      'a selector expression with an unknown operator',
      'operator.yaml',
      'selector:\n  matchExpressions:\n    - key: tier\n      operator: Has\n',
      invalid('selector.matchExpressions[0].operator: Invalid option: expected one of "In"|"NotIn"|"Exists"|"DoesNotExist"'),
    ],
    [
      'an In expression with no values (it would match no pod, and the webhook would do nothing)',
      'in-empty.yaml',
      'selector:\n  matchExpressions:\n    - key: app\n      operator: In\n',
      invalid('selector.matchExpressions[0].values: must not be empty for In'),
    ],
    [
      'an Exists expression with values',
      'exists-values.yaml',
      'selector:\n  matchExpressions:\n    - key: app\n      operator: Exists\n      values: [runner]\n',
      invalid('selector.matchExpressions[0].values: must be empty for Exists'),
    ],
    [
      'a probe delay beyond a 32-bit field',
      'int32.yaml',
      'livenessProbe:\n  initialDelaySeconds: 2147483648\n',
      invalid("livenessProbe.initialDelaySeconds: must be at most 2147483647 (a probe's fields are 32-bit)"),
    ],
    [
      'several problems at once',
      'several.yaml',
      'bogus: 1\nrestartPolicy: x\nport:\n  fallback: 0\n',
      invalid(
        'port.fallback: Too small: expected number to be >=1',
        'restartPolicy: Invalid option: expected one of "OnFailure"|"Always"|"keep"',
        'bogus: unknown key',
      ),
    ],
    [
      'YAML that does not parse',
      'broken.yaml',
      'restartPolicy: [\n',
      (file: string) =>
        `${file}: not valid YAML or JSON: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1`,
    ],
    [
      'YAML with a key given twice',
      'twice.yaml',
      'restartPolicy: Always\nrestartPolicy: keep\n',
      (file: string) => `${file}: not valid YAML or JSON: Map keys must be unique at line 2, column 1`,
    ],
    [
      'two YAML documents',
      'two.yaml',
      'restartPolicy: Always\n---\nrestartPolicy: keep\n',
      (file: string) => `${file}: holds 2 YAML documents; give one`,
    ],
    [
      'YAML with an alias to no anchor',
      'alias.yaml',
      'restartPolicy: *policy\n',
      (file: string) => `${file}: not valid YAML or JSON: an alias (*…) at line 1, column 16 refers to no anchor (&…) set before it; quote a value that starts with *`,
    ],
    ['a root that is a list', 'list.yaml', '- restartPolicy: Always\n', (file: string) => `${file}: (root): must be a mapping of settings`],
    ['a root that is a number', 'number.json', '42', (file: string) => `${file}: (root): must be a mapping of settings`],
  ])('%s', (_what, name, text, message) => {
    const file = configFile(name, text);
    const error = refusal(file);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(message(file));
  });

  it('a missing file is refused, naming the file and why it could not be read', () => {
    const file = join(directory, 'no-such-config.yaml');
    const error = refusal(file);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      `${file}: cannot read config file: ENOENT: no such file or directory, open '${file}'`,
    );
  });

  it('parseConfig names its source in the first line of the message', () => {
    expect(() => parseConfig({ restartPolicy: 'Sometimes' }, 'helm values')).toThrow(
      new ConfigError('helm values: invalid configuration\nrestartPolicy: Invalid option: expected one of "OnFailure"|"Always"|"keep"'),
    );
  });
});

// These fail today: src/config.ts passes zod's messages through, and for these inputs they either
// add a line that contradicts the first (runnerContainer "expected array to have >=1 items") or give
// no reason at all ("Invalid input"). Each case states the message a person can act on.
describe('wrong types are reported with one clear reason per key', () => {
  it.each([
    ['runnerContainer: []\n', 'runnerContainer: Invalid input: expected string, received array'],
    ['port:\n  name: []\n', 'port.name: Invalid input: expected string, received array'],
    [
      'initResources:\n  limits:\n    memory: true\n',
      'initResources.limits.memory: is not a Kubernetes quantity (for example 100m, 0.5, 128Mi, 1Gi)',
    ],
    [
      'initResources:\n  limits:\n    memory:\n',
      'initResources.limits.memory: is not a Kubernetes quantity (for example 100m, 0.5, 128Mi, 1Gi)',
    ],
  ])('the file %j is refused with exactly the line %j', (text, line) => {
    const file = configFile('wrong-type.yaml', text);
    const error = refusal(file);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(`${file}: invalid configuration\n${line}`);
  });
});

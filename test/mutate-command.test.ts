// `runner-defaults mutate`, run as a user runs it: the built CLI, real files and standard input,
// every output format, and a one-line reason with a non-zero exit for bad input.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { APPLIED, applyStrict, fixturePath, loadPod } from './helpers/fixtures.js';
import { runCli, runCliOnFullDisk, runCliReadingOnce, runCliWithStderrClosed } from './helpers/cli.js';
import { limitRangeViolations, type CheckPod } from './helpers/limit-range-check.js';
import { FIXTURES } from './helpers/fixtures.js';

const legacy = fixturePath('pods', 'runner-legacy');
const scratch = mkdtempSync(join(tmpdir(), 'mutate-'));
function scratchFile(name: string, text: string): string {
  const file = join(scratch, name);
  writeFileSync(file, text);
  return file;
}

describe('runner-defaults mutate', () => {
  it('prints the patched pod as YAML by default, and says on stderr what it added', async () => {
    const { code, stdout, stderr } = await runCli(['mutate', '-f', legacy]);
    expect(code).toBe(0);
    const pod = parseYaml(stdout);
    expect(pod.metadata.annotations).toStrictEqual({ [APPLIED]: 'init-resources,liveness-probe,readiness-probe,restart-policy' });
    expect(pod.spec.restartPolicy).toBe('OnFailure');
    expect(stderr.trim().split('\n')).toStrictEqual([
      'runner-defaults: added requests cpu=100m memory=128Mi, limits cpu=1 memory=1Gi to init container "init-hydrate"',
      'runner-defaults: added livenessProbe GET /health on port agui to container "ambient-code-runner"',
      'runner-defaults: added readinessProbe GET /health on port agui to container "ambient-code-runner"',
      'runner-defaults: set restartPolicy Never -> OnFailure so a liveness probe can restart the runner',
    ]);
  });

  it('with -o patch prints the RFC 6902 patch, which gives the same pod as -o json', async () => {
    const patch = await runCli(['mutate', '-f', legacy, '-o', 'patch']);
    const json = await runCli(['mutate', '-f', legacy, '-o', 'json']);
    expect(patch.code).toBe(0);
    expect(json.code).toBe(0);
    expect(applyStrict(loadPod('runner-legacy'), JSON.parse(patch.stdout))).toStrictEqual(JSON.parse(json.stdout));
  });

  it('reads a YAML pod from standard input', async () => {
    const { code, stdout } = await runCli(['mutate', '-f', '-', '-o', 'json'], stringify(loadPod('runner-no-persistence')));
    expect(code).toBe(0);
    expect(JSON.parse(stdout).metadata.annotations[APPLIED]).toBe('liveness-probe,readiness-probe,restart-policy');
  });

  it('reads a pod between --- markers, as kubectl writes them', async () => {
    const { code, stdout } = await runCli(['mutate', '-f', '-', '-o', 'json'], `---\n${stringify(loadPod('runner-no-persistence'))}---\n`);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).metadata.annotations[APPLIED]).toBe('liveness-probe,readiness-probe,restart-policy');
  });

  it('reads an AdmissionReview and prints the pod inside it, patched', async () => {
    const { code, stdout } = await runCli(['mutate', '-f', fixturePath('admission', 'create-runner-current'), '-o', 'json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).metadata.annotations[APPLIED]).toBe('init-resources,restart-policy');
  });

  it.each(['non-runner', 'runner-opted-out'])('prints [] as the patch for %s and says why on stderr', async (name) => {
    const { code, stdout, stderr } = await runCli(['mutate', '-f', fixturePath('pods', name), '-o', 'patch']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toStrictEqual([]);
    expect(stderr).toMatch(/^runner-defaults: nothing added: (labels do not match app=ambient-code-runner|opted out by annotation)\n$/);
  });

  it('writes YAML whose strings YAML 1.1 readers (kubectl) and YAML 1.2 readers both read back as strings', async () => {
    const pod = loadPod('runner-legacy') as { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: { containers: Array<{ env?: unknown[] }> } };
    const words = ['on', 'off', 'yes', 'no', 'y', 'n', 'Yes', 'OFF', '0o17', '012', '1:20', '2001-12-14', '~', '0X1F', '0O17', '0B1', '+0o17', '-0x1'];
    pod.metadata.annotations = Object.fromEntries(words.map((word, index) => [`example.com/a${index}`, word]));
    pod.spec.containers[0]!.env = words.map((word, index) => ({ name: `V${index}`, value: word }));
    const { code, stdout } = await runCli(['mutate', '-f', '-'], JSON.stringify(pod));
    expect(code).toBe(0);
    // kubectl's reader (go-yaml) also reads as integers what Go's ParseInt takes with base 0 (0X1F, +0o17): none may be plain.
    const plainGoIntegers = stdout.split('\n').filter((line) => /: [-+]?0[xXoObB]/.test(line));
    expect(plainGoIntegers).toEqual([]);
    for (const version of ['1.1', '1.2'] as const) {
      const read = parseYaml(stdout, { version }) as typeof pod;
      expect(words.map((_word, index) => read.metadata.annotations?.[`example.com/a${index}`])).toStrictEqual(words);
      expect(read.spec.containers[0]!.env).toStrictEqual(pod.spec.containers[0]!.env);
    }
  });

  it('first gives a container with limits but no requests its limits as requests, as the API server does, and adds no request to it', async () => {
    const pod = loadPod('runner-legacy') as { spec: { initContainers: Array<{ resources?: unknown }> } };
    pod.spec.initContainers[0]!.resources = { limits: { cpu: '2', memory: '2Gi' } };
    const { code, stdout, stderr } = await runCli(['mutate', '-f', '-', '-o', 'json'], JSON.stringify(pod));
    expect(code).toBe(0);
    expect(JSON.parse(stdout).spec.initContainers[0].resources).toStrictEqual({ limits: { cpu: '2', memory: '2Gi' }, requests: { cpu: '2', memory: '2Gi' } });
    expect(stderr).not.toContain('init container');
    expect(JSON.parse(stdout).metadata.annotations[APPLIED]).toBe('liveness-probe,readiness-probe,restart-policy');
    // With a memory limit only, the request for memory comes from the limit, and both cpu amounts from us.
    pod.spec.initContainers[0]!.resources = { limits: { memory: '2Gi' } };
    const patch = await runCli(['mutate', '-f', '-', '-o', 'patch'], JSON.stringify(pod));
    expect(JSON.parse(patch.stdout).filter((operation: { path: string }) => operation.path.startsWith('/spec/initContainers'))).toStrictEqual([
      { op: 'add', path: '/spec/initContainers/0/resources/limits/cpu', value: '1' },
      { op: 'add', path: '/spec/initContainers/0/resources/requests/cpu', value: '100m' },
    ]);
  });

  it('applies a config file', async () => {
    const config = scratchFile('config.yaml', 'restartPolicy: keep\nreadinessProbe:\n  periodSeconds: 10\n');
    const { code, stdout } = await runCli(['mutate', '-f', legacy, '--config', config, '-o', 'json']);
    expect(code).toBe(0);
    const pod = JSON.parse(stdout);
    expect(pod.spec.restartPolicy).toBe('Never');
    expect(pod.spec.containers[0].readinessProbe.periodSeconds).toBe(10);
  });

  it.each<[string, () => string[], RegExp]>([
    ['a missing file', () => ['mutate', '-f', join(scratch, 'absent.yaml')], /^runner-defaults: cannot read .*absent\.yaml: no such file\n$/],
    ['text that is not YAML', () => ['mutate', '-f', scratchFile('bad.yaml', 'a: [1, 2\n')], /^runner-defaults: .*bad\.yaml: not valid YAML or JSON: .+ at line 2, column 1\n$/],
    [
      'a YAML alias with no anchor',
      () => ['mutate', '-f', scratchFile('alias.yaml', 'kind: Pod\nspec: *nope\n')],
      /^runner-defaults: .*alias\.yaml: not valid YAML or JSON: an alias \(\*…\) at line 2, column 7 refers to no anchor \(&…\) set before it; quote a value that starts with \*\n$/,
    ],
    [
      'YAML aliases that expand a thousandfold (an alias bomb)',
      () => ['mutate', '-f', scratchFile('bomb.yaml', 'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n')],
      /^runner-defaults: .*bomb\.yaml: not valid YAML or JSON: Excessive alias count indicates a resource exhaustion attack\n$/,
    ],
    [
      'two pods in one file',
      () => ['mutate', '-f', scratchFile('two.yaml', 'kind: Pod\n---\nkind: Pod\n')],
      /^runner-defaults: .*two\.yaml: holds 2 YAML documents; give one\n$/,
    ],
    ['a Service', () => ['mutate', '-f', scratchFile('svc.yaml', 'kind: Service\napiVersion: v1\n')], /^runner-defaults: .*svc\.yaml: not a Pod or an AdmissionReview \(kind: Service\)\n$/],
    ['an empty file', () => ['mutate', '-f', scratchFile('empty.yaml', '')], /^runner-defaults: .*empty\.yaml: is empty; give a Pod or an AdmissionReview\n$/],
    ['a document with no kind', () => ['mutate', '-f', scratchFile('no-kind.yaml', 'metadata: {}\n')], /^runner-defaults: .*no-kind\.yaml: not a Pod or an AdmissionReview \(kind: missing\)\n$/],
    [
      'an AdmissionReview with no pod in it',
      () => ['mutate', '-f', scratchFile('no-object.json', '{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"u","operation":"CREATE"}}')],
      /^runner-defaults: .*no-object\.json: request\.object holds no pod to review\n$/,
    ],
    [
      'an AdmissionReview without a uid',
      () => ['mutate', '-f', scratchFile('review.json', '{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{}}')],
      /^runner-defaults: .*review\.json: request\.uid must be a non-empty string\n$/,
    ],
    [
      'a bad config file',
      () => ['mutate', '-f', legacy, '--config', scratchFile('bad-config.yaml', 'readinessProbe:\n  periodSeconds: 0\n')],
      /^runner-defaults: .*bad-config\.yaml: invalid configuration\nreadinessProbe\.periodSeconds: must be a whole number of at least 1\n$/,
    ],
  ])('exits 1 with a one-line reason for %s, and prints nothing on stdout', async (_name, args, message) => {
    const { code, stdout, stderr } = await runCli(args());
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
  });

  it.each([
    [
      'an unquoted value starting with * (an alias to no anchor)',
      'kind: Pod\nspec:\n  containers:\n  - env:\n    - {name: TOKEN, value: *hunter2}\n',
      'an alias (*…) at line 5, column 28 refers to no anchor (&…) set before it; quote a value that starts with *',
    ],
    ['a bad escape in a double-quoted value', 'kind: Pod\nmetadata:\n  annotations: {token: "x\\uhunter2"}\n', 'a double-quoted string has an invalid escape sequence at line 3, column 26'],
    ['a value that reads as a tag', 'kind: Pod\nmetadata:\n  annotations: {token: !hunter!2 x}\n', 'a tag (!…) cannot be resolved, or its value does not fit it at line 3, column 24'],
    ['a value that reads as a block scalar header', 'kind: Pod\nmetadata:\n  annotations:\n    token: |hunter2\n', 'Block scalar header includes extra characters at line 4, column 13'],
    ['a bad %YAML directive', '%YAML 1.hunter2\n---\nkind: Pod\n', 'a %YAML or %TAG directive is not valid at line 1, column 7'],
  ])('says what is wrong with the YAML without quoting the document, for %s', async (_name, text, reason) => {
    const { code, stdout, stderr } = await runCli(['mutate', '-f', '-'], text);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(`runner-defaults: standard input: not valid YAML or JSON: ${reason}\n`);
  });

  it('stops quietly, with exit 0, when the reader closes the pipe early (| head -1)', async () => {
    const pod = loadPod('runner-legacy') as { spec: { initContainers: unknown[] } };
    pod.spec.initContainers = Array.from({ length: 3000 }, (_, index) => ({ name: `init-${index}`, image: 'init' }));
    const args = ['mutate', '-f', '-', '-o', 'json'];
    const whole = await runCli(args, JSON.stringify(pod));
    const { code, stdout, stderr } = await runCliReadingOnce(args, JSON.stringify(pod));
    expect({ code, stderr }).toStrictEqual({ code: 0, stderr: whole.stderr });
    expect(whole.stdout.length).toBeGreaterThan(256 * 1024); // more than a pipe holds, so the writer meets the closed end
    expect(stdout.length).toBeGreaterThan(0);
    expect(stdout.length).toBeLessThan(whole.stdout.length);
    expect(whole.stdout.startsWith(stdout)).toBe(true);
  });

  it('answers in full, with its own exit code, when nobody reads standard error (the notes have nowhere to go)', async () => {
    const whole = await runCli(['mutate', '-f', legacy, '-o', 'json']);
    const { code, stdout } = await runCliWithStderrClosed(['mutate', '-f', legacy, '-o', 'json']);
    expect({ code, stdout }).toStrictEqual({ code: 0, stdout: whole.stdout });
  });

  it.skipIf(!existsSync('/dev/full'))('says in one line, with exit 1, when standard output cannot be written (a full disk)', async () => {
    const { code, stderr } = await runCliOnFullDisk(['mutate', '-f', legacy, '-o', 'patch']);
    expect(code).toBe(1);
    expect(stderr.split('\n').slice(-2)).toStrictEqual(['runner-defaults: cannot write to standard output: ENOSPC: no space left on device, write', '']);
    expect(stderr.split('\n')).toHaveLength(6); // the four notes before it
  });

  it.each([
    ['no -f', ['mutate']],
    ['an unknown output format', ['mutate', '-f', legacy, '-o', 'xml']],
    ['an unknown flag', ['mutate', '-f', legacy, '--frobnicate']],
    ['an unknown command', ['transmogrify']],
  ])('prints usage and exits 2 for %s', async (_name, args) => {
    const { code, stdout, stderr } = await runCli(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^error: /);
    expect(stderr).toContain('Usage: runner-defaults');
  });

  describe('--limit-ranges FILE', () => {
    /** `kubectl get limitranges -n team-alpha -o yaml`, as kubectl prints it (a List with server fields). */
    const kubectlList = `${FIXTURES}limitranges-team-alpha.yaml`;
    const initResources = (stdout: string) => JSON.parse(stdout).spec.initContainers[0].resources;

    it('takes kubectl get limitranges -o yaml output as it is, fits the defaults and says so', async () => {
      const { code, stdout, stderr } = await runCli(['mutate', '-f', legacy, '--limit-ranges', kubectlList, '-o', 'json']);
      expect(code).toBe(0);
      expect(initResources(stdout)).toStrictEqual({ limits: { cpu: '1', memory: '512Mi' }, requests: { cpu: '250m', memory: '128Mi' } });
      expect(stderr.split('\n').slice(0, 3)).toStrictEqual([
        'runner-defaults: added requests cpu=250m memory=128Mi, limits cpu=1 memory=512Mi to init container "init-hydrate"',
        'runner-defaults: fitted cpu of init container "init-hydrate" to the LimitRange: request 100m -> 250m',
        'runner-defaults: fitted memory of init container "init-hydrate" to the LimitRange: limit 1Gi -> 512Mi',
      ]);
      const ranges = parseYaml(readFileSync(kubectlList, 'utf8')).items;
      const initOnly = (pod: CheckPod) => ({ spec: { initContainers: pod.spec.initContainers } });
      expect(limitRangeViolations(initOnly(JSON.parse(stdout)), ranges)).toEqual([]);
    });

    it('reads several YAML documents (a LimitRange and a LimitRangeList); only those of the pod namespace, or with none, apply', async () => {
      const file = scratchFile(
        'multi.yaml',
        [
          'apiVersion: v1\nkind: LimitRange\nmetadata: { name: ratio, namespace: team-alpha }\nspec:\n  limits:\n  - type: Container\n    maxLimitRequestRatio: { cpu: "2" }',
          'apiVersion: v1\nkind: LimitRangeList\nitems:\n- apiVersion: v1\n  kind: LimitRange\n  metadata: { name: anywhere }\n  spec:\n    limits:\n    - type: Pod\n      max: { memory: 768Mi }\n' +
            '- apiVersion: v1\n  kind: LimitRange\n  metadata: { name: elsewhere, namespace: team-beta }\n  spec:\n    limits:\n    - type: Container\n      max: { cpu: 10m }',
          '',
        ].join('\n---\n'),
      );
      const { code, stdout, stderr } = await runCli(['mutate', '-f', legacy, '--limit-ranges', file, '-o', 'json']);
      expect(code).toBe(0);
      expect(initResources(stdout)).toStrictEqual({ limits: { cpu: '1', memory: '768Mi' }, requests: { cpu: '500m', memory: '128Mi' } });
      expect(stderr).toContain('runner-defaults: fitted memory of init container "init-hydrate" to the LimitRange: limit 1Gi -> 768Mi\n');
    });

    it('says on stderr which default no value fits, and leaves it out', async () => {
      const file = scratchFile('tight.yaml', 'kind: LimitRange\napiVersion: v1\nmetadata: { name: tight }\nspec:\n  limits:\n  - { type: Container, min: { cpu: "2" }, max: { cpu: "1" } }\n');
      const { code, stdout, stderr } = await runCli(['mutate', '-f', legacy, '--limit-ranges', file, '-o', 'json']);
      expect(code).toBe(0);
      expect(initResources(stdout)).toStrictEqual({ limits: { memory: '1Gi' }, requests: { memory: '128Mi' } });
      expect(stderr).toContain('runner-defaults: added no cpu to init container "init-hydrate": no value fits min 2, max 1 (LimitRange tight)\n');
    });

    it.each<[string, string, RegExp]>([
      ['a Pod instead of LimitRanges', 'kind: Pod\napiVersion: v1\n', /^runner-defaults: .*bad-lr\.yaml: not a LimitRange, a List or a LimitRangeList \(kind: Pod\)\n$/],
      ['text that is not YAML', 'kind: [LimitRange\n', /^runner-defaults: .*bad-lr\.yaml: not valid YAML or JSON: .+\n$/],
      [
        'a bad quantity',
        'kind: LimitRange\nmetadata: { name: bad }\nspec:\n  limits:\n  - { type: Container, max: { cpu: lots } }\n',
        /^runner-defaults: .*bad-lr\.yaml: LimitRange "bad": spec\.limits\[0\]\.max\.cpu is not a quantity\n$/,
      ],
      [
        'a maxLimitRequestRatio below 1',
        'kind: LimitRange\nmetadata: { name: zero }\nspec:\n  limits:\n  - { type: Container, maxLimitRequestRatio: { cpu: "0" } }\n',
        /^runner-defaults: .*bad-lr\.yaml: LimitRange "zero": spec\.limits\[0\]\.maxLimitRequestRatio\.cpu is below 1, which the API server refuses\n$/,
      ],
      ['a List without items', 'kind: List\napiVersion: v1\n', /^runner-defaults: .*bad-lr\.yaml: a List needs an items list\n$/],
      ...(['max', 'min', 'default', 'defaultRequest'] as const).map((key): [string, string, RegExp] => [
        `a negative ${key}`,
        `kind: LimitRange\nmetadata: { name: minus }\nspec:\n  limits:\n  - { type: Container }\n  - { type: Container, ${key}: { cpu: 1, memory: "-1Mi" } }\n`,
        new RegExp(`^runner-defaults: .*bad-lr\\.yaml: LimitRange "minus": spec\\.limits\\[1\\]\\.${key}\\.memory is negative, which the API server refuses\\n$`),
      ]),
      [
        'a negative maxLimitRequestRatio (below 1 too)',
        'kind: LimitRange\nmetadata: { name: minus }\nspec:\n  limits:\n  - { type: Pod, maxLimitRequestRatio: { memory: "-2" } }\n',
        /^runner-defaults: .*bad-lr\.yaml: LimitRange "minus": spec\.limits\[0\]\.maxLimitRequestRatio\.memory is below 1, which the API server refuses\n$/,
      ],
    ])('exits 1 with a one-line reason for %s', async (_name, text, message) => {
      const { code, stdout, stderr } = await runCli(['mutate', '-f', legacy, '--limit-ranges', scratchFile('bad-lr.yaml', text)]);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toMatch(message);
    });

    it.each([
      ['one document', 'kind: Pod\n', 'standard input: not a LimitRange, a List or a LimitRangeList (kind: Pod)'],
      ['several documents', 'kind: LimitRange\n---\nkind: Pod\n', 'standard input: document 2: not a LimitRange, a List or a LimitRangeList (kind: Pod)'],
    ])('names standard input, not "-", when the file read from it (%s) is bad', async (_name, text, reason) => {
      const { code, stdout, stderr } = await runCli(['mutate', '-f', legacy, '--limit-ranges', '-'], text);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toBe(`runner-defaults: ${reason}\n`);
    });

    it('prints usage and exits 2 when the pod and the LimitRanges would both come from standard input', async () => {
      const { code, stdout, stderr } = await runCli(['mutate', '-f', '-', '--limit-ranges', '-'], stringify(loadPod('runner-legacy')));
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.split('\n')[0]).toBe('error: -f and --limit-ranges cannot both read standard input');
      expect(stderr).toContain('Usage: runner-defaults mutate [options]');
    });

    it('exits 1 when the file is missing', async () => {
      const { code, stderr } = await runCli(['mutate', '-f', legacy, '--limit-ranges', join(scratch, 'absent.yaml')]);
      expect(code).toBe(1);
      expect(stderr).toMatch(/^runner-defaults: cannot read .*absent\.yaml: no such file\n$/);
    });
  });
});

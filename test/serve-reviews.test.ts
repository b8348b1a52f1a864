// `runner-defaults serve` as the API server meets it: a child process on real TLS, every fixture
// review sent over HTTPS with CA and hostname verification, the patches applied, the endpoints,
// the metrics, and log lines that never carry a pod's secrets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyStrict, decodePatch, loadReview, reviewText, type REVIEW_FIXTURES } from './helpers/fixtures.js';
import { certsFromCli, certsFromOpenssl, type CertFiles, serving } from './helpers/certs.js';
import { WebhookProcess } from './helpers/webhook-process.js';

const EXPECTED_CHANGES: Record<(typeof REVIEW_FIXTURES)[number], string[]> = {
  'create-runner-legacy': ['init-resources', 'liveness-probe', 'readiness-probe', 'restart-policy'],
  'create-runner-current': ['init-resources', 'restart-policy'],
  'create-non-runner': [],
  'dry-run-runner-legacy': ['init-resources', 'liveness-probe', 'readiness-probe', 'restart-policy'],
};
const APPLIED = 'runner-defaults.ambient-code.io/applied';

describe.each([
  ['made by runner-defaults certs', () => certsFromCli()],
  ['made by openssl', async () => certsFromOpenssl()],
])('serve with certificates %s', (_name, makeCerts: () => Promise<CertFiles>) => {
  let server: WebhookProcess;
  beforeAll(async () => {
    const certs = await makeCerts();
    server = await WebhookProcess.start(serving(certs));
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });

  it.each(Object.keys(EXPECTED_CHANGES) as (typeof REVIEW_FIXTURES)[number][])(
    'answers %s over HTTPS (hostname checked) with its uid, and a patch that gives the expected pod',
    async (name) => {
      const body = loadReview(name);
      const reply = await server.review(reviewText(name));
      expect(reply.status).toBe(200);
      expect(reply.headers['content-type']).toBe('application/json');
      const answer = JSON.parse(reply.body);
      expect(answer.apiVersion).toBe('admission.k8s.io/v1');
      expect(answer.kind).toBe('AdmissionReview');
      expect(answer.response.uid).toBe(body.request.uid);
      expect(answer.response.allowed).toBe(true);
      const changes = EXPECTED_CHANGES[name];
      if (changes.length === 0) {
        expect(answer.response).toStrictEqual({ uid: body.request.uid, allowed: true });
        return;
      }
      expect(answer.response.patchType).toBe('JSONPatch');
      const patched = applyStrict(body.request.object, decodePatch(answer.response.patch));
      expect(patched.metadata?.annotations?.[APPLIED]).toBe(changes.join(','));
      expect(patched.spec?.restartPolicy).toBe('OnFailure');
      expect(patched.spec?.initContainers?.[0]?.resources).toStrictEqual({
        limits: { cpu: '1', memory: '1Gi' },
        requests: { cpu: '100m', memory: '128Mi' },
      });
      expect(answer.response.warnings?.length ?? 0).toBe(body.request.dryRun ? changes.length : 0);
    },
  );

  it('logs one line per review with uid, namespace, name, operation, dry run, changes and duration', async () => {
    const uid = loadReview('dry-run-runner-legacy').request.uid;
    const line = await server.waitForLog((entry) => entry.msg === 'review' && entry.uid === uid);
    expect(line).toMatchObject({
      level: 30,
      uid,
      namespace: 'team-alpha',
      name: 'session-1732-runner',
      operation: 'CREATE',
      dryRun: true,
      result: 'patched',
      changes: ['init-resources', 'liveness-probe', 'readiness-probe', 'restart-policy'],
    });
    expect(typeof line.durationMs).toBe('number');
    expect(Object.keys(line).sort()).toStrictEqual(
      ['changes', 'dryRun', 'durationMs', 'hostname', 'level', 'msg', 'name', 'namespace', 'operation', 'pid', 'result', 'time', 'uid'],
    );
  });
});

describe('serve endpoints, metrics and logs', () => {
  let server: WebhookProcess;
  beforeAll(async () => {
    const certs = await certsFromCli();
    server = await WebhookProcess.start(serving(certs, ['--log-level', 'debug']));
  });
  afterAll(async () => {
    await server.stop();
  });

  it.each([
    ['GET', '/healthz', 200, 'ok\n'],
    ['GET', '/readyz', 200, 'ok\n'],
    ['HEAD', '/healthz', 200, ''],
    ['POST', '/healthz', 405, '{"error":"method POST is not allowed on /healthz; use GET"}'],
    ['DELETE', '/metrics', 405, '{"error":"method DELETE is not allowed on /metrics; use GET"}'],
    ['GET', '/mutate', 405, '{"error":"method GET is not allowed on /mutate; use POST"}'],
    ['GET', '/', 404, '{"error":"no endpoint at /; the webhook answers POST /mutate, GET /healthz, /readyz and /metrics"}'],
    ['POST', '/validate', 404, '{"error":"no endpoint at /validate; the webhook answers POST /mutate, GET /healthz, /readyz and /metrics"}'],
  ])('%s %s answers %i', async (method, path, status, body) => {
    const reply = await server.request({ method, path });
    expect(reply.status).toBe(status);
    expect(reply.body).toBe(body);
    expect(reply.body).not.toMatch(/at \w+ \(|node:internal/);
  });

  it('counts reviews by result, changes by name, and times them, in Prometheus text format', async () => {
    for (const name of ['create-runner-legacy', 'create-runner-current', 'create-non-runner'] as const) {
      expect((await server.review(reviewText(name))).status).toBe(200);
    }
    await server.review('not json');
    const reply = await server.request({ path: '/metrics' });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const metric = (line: string) => reply.body.split('\n').find((entry) => entry.startsWith(`${line} `))?.split(' ')[1];
    expect(metric('runner_defaults_reviews_total{result="patched"}')).toBe('2');
    expect(metric('runner_defaults_reviews_total{result="skipped"}')).toBe('1');
    expect(metric('runner_defaults_reviews_total{result="unchanged"}')).toBe('0');
    expect(metric('runner_defaults_reviews_total{result="error"}')).toBe('0');
    expect(metric('runner_defaults_changes_total{change="init-resources"}')).toBe('2');
    expect(metric('runner_defaults_changes_total{change="readiness-probe"}')).toBe('1');
    expect(metric('runner_defaults_invalid_requests_total{status="400"}')).toBe('1');
    expect(metric('runner_defaults_review_duration_seconds_count{result="patched"}')).toBe('2');
    expect(reply.body).toContain('runner_defaults_process_resident_memory_bytes');
  });

  it('never writes a pod env value, arg or annotation value to any log line, at debug level too', async () => {
    const body = loadReview('create-runner-legacy');
    const secrets = ['fixture-secret-0f9e8d7c6b5a4938271605f4e3d2c1b0', 'AKIAFIXTURE0KEYID0001', 'Fix the failing unit tests', '/usr/local/bin/hydrate.sh'];
    const pod = body.request.object;
    pod.metadata!.annotations = { 'example.com/token': 'annotation-secret-value-31337' };
    pod.spec!.containers[0]!.args = ['--api-key=arg-secret-value-4242'];
    secrets.push('annotation-secret-value-31337', 'arg-secret-value-4242');
    const bodies = [
      JSON.stringify(body),
      JSON.stringify({ ...body, request: { ...body.request, uid: 'unreadable', object: { ...pod, spec: { ...pod.spec, containers: 'x' } } } }),
      JSON.stringify(body).slice(0, -40),
      JSON.stringify({ ...body, request: { ...body.request, uid: 7 } }),
    ];
    for (const text of bodies) await server.review(text);
    await server.waitForLog((line) => line.msg === 'review' && line.uid === 'unreadable');
    await server.waitForLog((line) => line.msg === 'review refused' && line.error === 'request.uid must be a non-empty string');
    const output = server.rawOutput.join('\n');
    expect(output).toContain(body.request.uid);
    for (const secret of secrets) expect(output).not.toContain(secret);
  });

  it('logs a pod it could not read as a warning with the reason, and answers allowed', async () => {
    const line = await server.waitForLog((entry) => entry.uid === 'unreadable');
    expect(line).toMatchObject({ level: 40, result: 'error', reason: 'cannot read pod: spec.containers is not a list', changes: [] });
  });
});

// Malformed requests to a running server: each gets its 4xx and a message that says what was
// wrong (or, for a review whose pod cannot be read, an allowed-unchanged answer), never a 5xx or
// a stack trace, and the server still answers a good review correctly afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLIED, INIT_RESOURCES, LIVENESS, READINESS, applyStrict, decodePatch, loadReview, reviewText } from './helpers/fixtures.js';
import { certsFromCli, serving } from './helpers/certs.js';
import { WebhookProcess, type RequestOptions } from './helpers/webhook-process.js';

const good = loadReview('create-runner-legacy');
const goodText = reviewText('create-runner-legacy');
const withRequest = (request: unknown) => JSON.stringify({ ...good, request });
const withField = (key: string, value: unknown) => withRequest({ ...good.request, [key]: value });
const post = (body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }): RequestOptions => ({
  method: 'POST',
  path: '/mutate',
  headers,
  body,
});
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

const REFUSED: [string, RequestOptions, number, string][] = [
  ['an empty body', post(''), 400, 'body is not valid JSON'],
  ['a truncated review', post(goodText.slice(0, 500)), 400, 'body is not valid JSON'],
  ['a review cut one byte short', post(goodText.trimEnd().slice(0, -1)), 400, 'body is not valid JSON'],
  ['text that is not JSON', post('kind: AdmissionReview'), 400, 'body is not valid JSON'],
  ['invalid UTF-8', post(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 400, 'body is not valid JSON'],
  ['JSON null', post('null'), 400, 'body must be a JSON object (an AdmissionReview)'],
  ['a JSON array', post('[]'), 400, 'body must be a JSON object (an AdmissionReview)'],
  ['a JSON string', post('"AdmissionReview"'), 400, 'body must be a JSON object (an AdmissionReview)'],
  ['a JSON number', post('42'), 400, 'body must be a JSON object (an AdmissionReview)'],
  ['JSON true', post('true'), 400, 'body must be a JSON object (an AdmissionReview)'],
  ['arrays nested 100,000 deep', post(nested(100_000)), 400, 'body must be a JSON object (an AdmissionReview)'],
  ['an empty object', post('{}'), 400, 'kind must be AdmissionReview'],
  ['a Pod instead of a review', post(JSON.stringify(good.request.object)), 400, 'kind must be AdmissionReview'],
  ['kind as a number', post(JSON.stringify({ ...good, kind: 1 })), 400, 'kind must be AdmissionReview'],
  ['no apiVersion', post(JSON.stringify({ ...good, apiVersion: undefined })), 400, 'apiVersion must be one of admission.k8s.io/v1, admission.k8s.io/v1beta1'],
  ['apiVersion v1 of another group', post(JSON.stringify({ ...good, apiVersion: 'v1' })), 400, 'apiVersion must be one of admission.k8s.io/v1, admission.k8s.io/v1beta1'],
  ['no request', post(JSON.stringify({ ...good, request: undefined })), 400, 'request must be an object'],
  ['request null', post(withRequest(null)), 400, 'request must be an object'],
  ['request a string', post(withRequest('CREATE')), 400, 'request must be an object'],
  ['request an array', post(withRequest([good.request])), 400, 'request must be an object'],
  ['no uid', post(withField('uid', undefined)), 400, 'request.uid must be a non-empty string'],
  ['an empty uid', post(withField('uid', '')), 400, 'request.uid must be a non-empty string'],
  ['a numeric uid', post(withField('uid', 12345)), 400, 'request.uid must be a non-empty string'],
  ['a uid object', post(withField('uid', { id: 'x' })), 400, 'request.uid must be a non-empty string'],
  ['operation as a number', post(withField('operation', 1)), 400, 'request.operation must be a string'],
  ['kind as a string', post(withField('kind', 'Pod')), 400, 'request.kind must be an object'],
  ['kind.kind as a number', post(withField('kind', { group: '', version: 'v1', kind: 7 })), 400, 'request.kind.kind must be a string'],
  ['resource as a list', post(withField('resource', ['pods'])), 400, 'request.resource must be an object'],
  ['namespace as a number', post(withField('namespace', 5)), 400, 'request.namespace must be a string'],
  ['subResource as an object', post(withField('subResource', {})), 400, 'request.subResource must be a string'],
  ['dryRun as a string', post(withField('dryRun', 'true')), 400, 'request.dryRun must be a boolean'],
  ['a body of 7 MiB', post(JSON.stringify({ ...good, padding: 'x'.repeat(7 * 1024 * 1024) })), 413, 'body larger than 6291456 bytes'],
  ['content type text/plain', post(goodText, { 'content-type': 'text/plain' }), 415, 'content type must be application/json, not text/plain'],
  ['no content type', post(goodText, {}), 415, 'content type must be application/json, not missing'],
  ['content type YAML', post(goodText, { 'content-type': 'application/yaml' }), 415, 'content type must be application/json, not application/yaml'],
  ['GET /mutate', { method: 'GET', path: '/mutate' }, 405, 'method GET is not allowed on /mutate; use POST'],
  ['PUT /mutate', { ...post(goodText), method: 'PUT' }, 405, 'method PUT is not allowed on /mutate; use POST'],
  ['POST to another path', { ...post(goodText), path: '/mutate/pods' }, 404, 'no endpoint at /mutate/pods; the webhook answers POST /mutate, GET /healthz, /readyz and /metrics'],
];

/** A review whose object is given as raw JSON text (too deep for JSON.stringify to write). */
const withRawObject = (objectText: string) => withField('object', '__OBJECT__').replace('"__OBJECT__"', objectText);
const ALLOWED_UNCHANGED: [string, string, string][] = [
  ['no object', withField('object', undefined), 'cannot read pod: object is not an object'],
  ['an object nested 50,000 deep', withRawObject(`${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`), 'cannot read pod: spec is not an object'],
  ['containers as a string', withField('object', { ...good.request.object, spec: { containers: 'runner' } }), 'cannot read pod: spec.containers is not a list'],
  ['labels as numbers', withField('object', { metadata: { labels: { app: 7 } }, spec: {} }), 'cannot read pod: metadata.labels.app is not a string'],
  ['a ports list of strings', withField('object', { spec: { containers: [{ name: 'ambient-code-runner', ports: ['agui'] }] } }), 'cannot read pod: spec.containers[0].ports[0] is not an object'],
  ['an UPDATE', withField('operation', 'UPDATE'), 'operation UPDATE is not CREATE'],
  ['metadata as a string', withField('object', { ...good.request.object, metadata: 'runner' }), 'cannot read pod: metadata is not an object'],
  ['spec as a list', withField('object', { ...good.request.object, spec: [] }), 'cannot read pod: spec is not an object'],
  ['initContainers as an object', withField('object', { ...good.request.object, spec: { containers: [], initContainers: {} } }), 'cannot read pod: spec.initContainers is not a list'],
  ['an ownerReference that is a number', withField('object', { ...good.request.object, metadata: { ownerReferences: [7] } }), 'cannot read pod: metadata.ownerReferences[0] is not an object'],
  ['a restartPolicy that is a number', withField('object', { ...good.request.object, spec: { ...good.request.object.spec, restartPolicy: 1 } }), 'cannot read pod: spec.restartPolicy is not a string'],
];

describe('serve with bad input', () => {
  let server: WebhookProcess;
  beforeAll(async () => {
    server = await WebhookProcess.start(serving(await certsFromCli()));
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });

  it.each(REFUSED)('refuses %s with its 4xx and a message', async (_name, options, status, message) => {
    const reply = await server.request(options);
    expect(reply.status).toBe(status);
    expect(JSON.parse(reply.body)).toStrictEqual({ error: expect.stringContaining(message) });
    expect(reply.body).not.toMatch(/at \w+ \(|node:internal|SyntaxError/);
  });

  it.each(ALLOWED_UNCHANGED)('answers a review with %s: allowed, unchanged, uid kept', async (_name, body, reason) => {
    const reply = await server.review(body);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toStrictEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: good.request.uid, allowed: true },
    });
    const line = await server.waitForLog((entry) => entry.reason === reason);
    expect(line.uid).toBe(good.request.uid);
  });

  it.each([
    ['a uid in unicode, echoed exactly', withField('uid', 'ünïcødé-✓-uid'), 'ünïcødé-✓-uid'],
    ['a byte order mark before the JSON, which RFC 8259 lets a parser ignore', `\ufeff${goodText}`, good.request.uid],
    ['duplicate keys, the last one winning as in JSON.parse', goodText.replace('"kind": "AdmissionReview"', '"kind": "Pod", "kind": "AdmissionReview"'), good.request.uid],
    ['a pod name that is a number', withField('object', { ...good.request.object, metadata: { ...good.request.object.metadata, name: 5 } }), good.request.uid],
    ['a uid of a million characters', withField('uid', 'u'.repeat(1_000_000)), 'u'.repeat(1_000_000)],
    ['an annotation value of 3 MiB', withField('object', { ...good.request.object, metadata: { ...good.request.object.metadata, annotations: { big: 'x'.repeat(3 * 1024 * 1024) } } }), good.request.uid],
    ['container names in unicode', withField('object', { ...good.request.object, spec: { ...good.request.object.spec, initContainers: [{ name: 'ïnït-✓' }] } }), good.request.uid],
  ])('answers a review with %s, and patches its runner pod', async (_name, body, uid) => {
    const reply = await server.review(body);
    expect(reply.status).toBe(200);
    const { response } = JSON.parse(reply.body);
    expect(response.uid).toBe(uid);
    // The byte order mark is the one body JSON.parse refuses as it is; the server drops it.
    const pod = applyStrict(JSON.parse(body.replace(/^\ufeff/, '')).request.object, decodePatch(response.patch));
    expect(pod.metadata.annotations[APPLIED]).toBe('init-resources,liveness-probe,readiness-probe,restart-policy');
    expect(pod.spec.restartPolicy).toBe('OnFailure');
    expect(pod.spec.containers[0]).toMatchObject({ readinessProbe: READINESS('agui'), livenessProbe: LIVENESS('agui') });
    for (const container of pod.spec.initContainers) expect(container.resources).toStrictEqual(INIT_RESOURCES);
  });

  it('accepts application/json in any case and with parameters', async () => {
    const reply = await server.request(post(goodText, { 'content-type': 'Application/JSON; charset=utf-8' }));
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body).response.uid).toBe(good.request.uid);
  });

  it('still answers a good review correctly after all of that, and never answered with a 5xx', async () => {
    const reply = await server.review(goodText);
    expect(reply.status).toBe(200);
    const answer = JSON.parse(reply.body);
    const patched = applyStrict(good.request.object, decodePatch(answer.response.patch));
    expect(patched.spec?.restartPolicy).toBe('OnFailure');
    const statuses = server.logs.filter((line) => line.msg === 'review refused').map((line) => line.status as number);
    expect(statuses.length).toBeGreaterThanOrEqual(REFUSED.length - 3);
    expect(statuses.every((status) => status >= 400 && status < 500)).toBe(true);
  });
});

// The server over time: start-up with its own development certificate, a bad config refused
// before listening, keep-alive connections that outlive Node's 5 s default, slow clients cut off,
// a SIGTERM that lets in-flight reviews finish and exits 0, and an uncaught exception that exits 1
// after logging the reviews it had answered.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadReview, reviewText } from './helpers/fixtures.js';
import { SERVICE_HOST, certsFromCli, scratchDir, type CertFiles, serving } from './helpers/certs.js';
import { runCli } from './helpers/cli.js';
import { WebhookProcess } from './helpers/webhook-process.js';
import { makeCertificateAuthority } from '../src/tls/certificates.js';

const goodText = reviewText('create-runner-legacy');

describe('serve start-up', () => {
  it('with no --tls flags makes a development CA and certificate under certs/, logs where the CA is, and serves with them', async () => {
    const cwd = scratchDir('fresh-clone');
    const server = await WebhookProcess.start({ cwd, servername: 'localhost' });
    const made = await server.waitForLog((line) => typeof line.caFile === 'string');
    expect([made.msg, made.caFile]).toEqual(['made a development CA and serving certificate; trust the CA to call the webhook (curl --cacert)', join(cwd, 'certs', 'ca.crt')]);
    for (const file of ['ca.crt', 'ca.key', 'tls.crt', 'tls.key']) expect(existsSync(join(cwd, 'certs', file))).toBe(true);
    const readiness = await server.request({ path: '/readyz' });
    expect(readiness.status).toBe(200);
    expect(await server.stop()).toBe(0);
    // With its serving certificate gone, the next start issues one from the CA there, and says so.
    const ca = readFileSync(join(cwd, 'certs', 'ca.crt'), 'utf8');
    rmSync(join(cwd, 'certs', 'tls.crt'));
    const again = await WebhookProcess.start({ cwd, servername: 'localhost' });
    expect((await again.waitForLog((line) => typeof line.caFile === 'string')).msg).toBe('made a development serving certificate from the CA already there');
    expect(readFileSync(join(cwd, 'certs', 'ca.crt'), 'utf8')).toBe(ca);
    expect((await again.request({ path: '/readyz' })).status).toBe(200);
    expect(await again.stop()).toBe(0);
  });

  it('with no --tls flags and a development CA in certs/ that expires within 30 days, makes a new CA and logs why', async () => {
    const cwd = scratchDir('expiring-ca');
    const expiring = makeCertificateAuthority('short', 20);
    mkdirSync(join(cwd, 'certs'));
    writeFileSync(join(cwd, 'certs', 'ca.crt'), expiring.certificate);
    writeFileSync(join(cwd, 'certs', 'ca.key'), expiring.privateKey);
    const server = await WebhookProcess.start({ cwd, servername: 'localhost' });
    const made = await server.waitForLog((line) => typeof line.caFile === 'string');
    expect([made.msg, made.caNotKept]).toEqual(['made a development CA and serving certificate; trust the CA to call the webhook (curl --cacert)', 'the CA expires within 30 days']);
    expect(readFileSync(join(cwd, 'certs', 'ca.crt'), 'utf8')).not.toBe(expiring.certificate);
    expect((await server.request({ path: '/readyz' })).status).toBe(200);
    expect(await server.stop()).toBe(0);
  });

  it('with mounted certificates and no terminal loads neither node-forge nor pino-pretty, which only make certificates and pretty lines', async () => {
    const server = await WebhookProcess.start({ ...serving(await certsFromCli()), preload: './report-packages.mjs' });
    expect((await server.review(goodText)).status).toBe(200);
    expect(await server.stop()).toBe(0);
    await server.outputEnded();
    const report = server.rawOutput.join('\n').split('\n').find((line) => line.startsWith('{"loadedPackages"'));
    expect(report).toBeDefined();
    const loaded = (JSON.parse(report!) as { loadedPackages: string[] }).loadedPackages;
    expect(loaded).toEqual(expect.arrayContaining(['express', 'pino', 'prom-client']));
    expect(loaded).not.toContain('node-forge');
    expect(loaded).not.toContain('pino-pretty');
  });

  it.each([
    ['a bad config file, naming the key and the reason', (dir: string) => ['--config', writeConfig(dir, 'livenessProbe:\n  periodSeconds: 0\n')], 1, /livenessProbe\.periodSeconds: must be a whole number of at least 1/],
    ['a certificate file that is not there', (dir: string) => ['--tls-cert', join(dir, 'nope.crt'), '--tls-key', join(dir, 'nope.key')], 1, /cannot read the certificate pair/],
    ['--tls-cert without --tls-key', (dir: string) => ['--tls-cert', join(dir, 'a.crt')], 2, /--tls-cert and --tls-key go together\n[\s\S]*Usage: runner-defaults serve /],
    ['a headers timeout not above the keep-alive timeout', () => ['--keep-alive-timeout-seconds', '100', '--headers-timeout-seconds', '90'], 2, /must be above --keep-alive-timeout-seconds\n[\s\S]*Usage: runner-defaults serve /],
    [
      'no --tls flags where certs/ cannot be made',
      (dir: string) => (writeFileSync(join(dir, 'certs'), 'a file, not a directory'), []),
      1,
      /^runner-defaults: cannot make a development certificate in .*certs \(EEXIST\); give --tls-cert and --tls-key\n$/,
    ],
    [
      'no --tls flags and a development CA in certs/ that is not one',
      (dir: string) => {
        mkdirSync(join(dir, 'certs'));
        for (const file of ['ca.crt', 'ca.key']) writeFileSync(join(dir, 'certs', file), 'not PEM');
        return [];
      },
      1,
      /^runner-defaults: .*certs\/ca\.crt and .*certs\/ca\.key are not a CA to keep \(the CA is not a PEM certificate\): remove both to make a new CA\n$/,
    ],
    [
      'no --tls flags and half a development CA in certs/ (its key gone), which it does not overwrite',
      (dir: string) => {
        mkdirSync(join(dir, 'certs'));
        writeFileSync(join(dir, 'certs', 'ca.crt'), 'kept as it is');
        return [];
      },
      1,
      /^runner-defaults: .*certs\/ca\.key is missing beside .*certs\/ca\.crt: put it back, or remove .*certs\/ca\.crt to make a new CA\n$/,
    ],
    ['a port that is not a number', () => ['--port', 'https'], 2, /must be a whole number from 0 to 65535/],
    ['a --host that does not resolve', () => ['--host', 'nonexistent.invalid'], 1, /^runner-defaults: cannot listen: cannot resolve the --host name \(getaddrinfo \w+ nonexistent\.invalid\)\n$/],
  ])('refuses to start with %s', async (_name, args, code, message) => {
    const dir = scratchDir('bad-start');
    const result = await runCli(['serve', '--host', '127.0.0.1', '--port', '0', ...args(dir)], '', [], dir);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

function writeConfig(dir: string, text: string): string {
  const file = join(dir, 'config.yaml');
  writeFileSync(file, text);
  return file;
}

describe('keep-alive and slow clients', () => {
  let server: WebhookProcess;
  let certs: CertFiles;
  beforeAll(async () => {
    certs = await certsFromCli();
    // Short header timeouts so a slow client is cut within the test's time; keep-alive stays above Node's 5 s.
    server = await WebhookProcess.start(serving(certs, ['--keep-alive-timeout-seconds', '8', '--headers-timeout-seconds', '9']));
  });
  afterAll(async () => {
    await server.stop();
  });

  it('serves the next review on a keep-alive connection left idle for 6 s, longer than Node\'s default 5 s', async () => {
    const agent = server.keepAliveAgent();
    const first = await server.review(goodText, agent);
    await new Promise((resolve) => setTimeout(resolve, 6000)); // the idle time is what is tested
    const second = await server.review(goodText, agent);
    agent.destroy();
    expect([first.status, second.status]).toStrictEqual([200, 200]);
    expect(second.reusedSocket).toBe(true);
    expect(second.headers['keep-alive']).toBe('timeout=8');
  }, 15_000);

  it('cuts off a body that never ends at the API server\'s timeout, and serves others meanwhile', async () => {
    const started = Date.now();
    const cut = new Promise<string>((resolve) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: server.port,
          method: 'POST',
          path: '/mutate?timeout=2s',
          headers: { 'content-type': 'application/json', 'content-length': 100_000 },
          ca: certs.caPem,
          servername: SERVICE_HOST,
          agent: false,
        },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve(`${res.statusCode} ${body}`));
        },
      );
      req.on('error', (error) => resolve(`error ${error.message}`));
      req.write('{"kind":"AdmissionReview",');
    });
    expect((await server.review(goodText)).status).toBe(200);
    expect(await cut).toBe('408 {"error":"the body did not arrive within 2s"}');
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('cuts off a client that sends its headers byte by byte, at the headers timeout, and serves others meanwhile', async () => {
    const socket = connect({ host: '127.0.0.1', port: server.port, ca: certs.caPem, servername: SERVICE_HOST });
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    socket.on('error', () => {}); // writes after the server closed fail with EPIPE; the close is what is tested
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
    const started = Date.now();
    const header = 'POST /mutate HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-padding: ' + 'p'.repeat(200);
    let index = 0;
    const trickle = setInterval(() => {
      if (index < header.length && !socket.destroyed) socket.write(header[index++]!);
    }, 50);
    expect((await server.review(goodText)).status).toBe(200);
    const closedAt = await closed;
    clearInterval(trickle);
    expect(index).toBeLessThan(header.length);
    expect(closedAt - started).toBeGreaterThanOrEqual(8000);
    expect(closedAt - started).toBeLessThan(12_000);
  }, 20_000);
});

describe('graceful shutdown', () => {
  it('on SIGTERM: readiness fails, the in-flight review completes with its patch, and the process exits 0 quickly', async () => {
    const certs = await certsFromCli();
    const server = await WebhookProcess.start(serving(certs, ['--shutdown-delay-seconds', '1', '--shutdown-timeout-seconds', '5']));
    const body = Buffer.from(goodText);
    const inFlight = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: server.port,
          method: 'POST',
          path: '/mutate?timeout=10s',
          headers: { 'content-type': 'application/json', 'content-length': body.length },
          ca: certs.caPem,
          servername: SERVICE_HOST,
          agent: server.agent,
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(body.subarray(0, 4000));
      setImmediate(() => {
        server.child.kill('SIGTERM');
        void server.waitForLog((line) => line.msg.startsWith('shutting down')).then(async () => {
          const readiness = await server.request({ path: '/readyz', agent: false });
          expect(readiness.status).toBe(503);
          expect(readiness.body).toBe('shutting down\n');
          req.end(body.subarray(4000));
        });
      });
    });
    const signalled = Date.now();
    const reply = await inFlight;
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text).response.uid).toBe(loadReview('create-runner-legacy').request.uid);
    expect(JSON.parse(reply.text).response.patchType).toBe('JSONPatch');
    expect(await server.exitCode).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(5000);
    expect(server.logs.map((line) => line.msg)).toContain('stopped');
  });

  it('on an uncaught exception: logs the answered review still waiting for its batch, then the error, and exits 1', async () => {
    const server = await WebhookProcess.start({ ...serving(await certsFromCli()), preload: './throw-after-review.mjs' });
    const reply = await server.review(goodText);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body).response.patchType).toBe('JSONPatch');
    expect(await server.exitCode).toBe(1);
    await server.outputEnded();
    const uid = loadReview('create-runner-legacy').request.uid;
    const reviewed = server.logs.findIndex((line) => line.msg === 'review' && line.uid === uid);
    const fatal = server.logs.findIndex((line) => line.msg === 'uncaught exception: exiting');
    expect(reviewed).toBeGreaterThanOrEqual(0);
    expect(server.logs[reviewed]).toMatchObject({ result: 'patched', namespace: expect.any(String) });
    expect(fatal).toBeGreaterThan(reviewed);
    expect(server.logs[fatal]).toMatchObject({
      level: 60,
      origin: 'uncaughtException',
      type: 'Error',
      err: 'injected fault',
      stack: expect.stringContaining('throw-after-review.mjs'),
    });
    expect(server.rawOutput.join('\n')).not.toContain('hunter2');
  });
});

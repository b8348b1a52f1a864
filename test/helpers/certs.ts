// Serving certificates for the server tests: made by our own `certs` command, or by openssl,
// so the server is tested with certificates our code did not make.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './cli.js';

export const SERVICE = 'runner-defaults';
export const NAMESPACE = 'runner-defaults';
/** The name the API server checks the webhook's certificate against. */
export const SERVICE_HOST = `${SERVICE}.${NAMESPACE}.svc`;

export interface CertFiles {
  dir: string;
  ca: string;
  cert: string;
  key: string;
  caPem: Buffer;
}

export function scratchDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `${prefix}-`));
}

function files(dir: string): CertFiles {
  return { dir, ca: join(dir, 'ca.crt'), cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key'), caPem: readFileSync(join(dir, 'ca.crt')) };
}

/** A CA and serving certificate made by `runner-defaults certs`; returns the files and the printed caBundle. */
export async function certsFromCli(dir = scratchDir('certs'), days = 365): Promise<CertFiles & { caBundle: string }> {
  const result = await runCli(['certs', '--service', SERVICE, '--namespace', NAMESPACE, '--out', dir, '--days', String(days)]);
  if (result.code !== 0) throw new Error(`certs failed: ${result.stderr}`);
  return { ...files(dir), caBundle: result.stdout.trim() };
}

/** The same with the openssl command line: a CA, then a serverAuth certificate for the Service names. */
export function certsFromOpenssl(dir = scratchDir('openssl')): CertFiles {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const names = [SERVICE, `${SERVICE}.${NAMESPACE}`, SERVICE_HOST, `${SERVICE_HOST}.cluster.local`];
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=openssl test CA');
  run('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'tls.key', '-out', 'tls.csr', '-subj', `/CN=${SERVICE_HOST}`);
  writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=${names.map((name) => `DNS:${name}`).join(',')}\nextendedKeyUsage=serverAuth\n`);
  run('x509', '-req', '-in', 'tls.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'ext.cnf', '-out', 'tls.crt');
  return files(dir);
}

/** Arguments for WebhookProcess.start that serve a certificate set for the Service name. */
export function serving(certs: CertFiles, args: string[] = []) {
  return { cert: certs.cert, key: certs.key, ca: certs.caPem, servername: SERVICE_HOST, args };
}

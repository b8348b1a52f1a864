// Writes and reads the four PEM files a webhook's TLS needs (ca.crt, ca.key, tls.crt, tls.key).
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CertificateError } from './certificate-watcher.js';
import { makeCertificateAuthority, makeServingCertificate, servingNames, type KeyPairPem } from './certificates.js';

export interface CertificateSet {
  ca: KeyPairPem;
  serving: KeyPairPem;
}

export const CA_DAYS = 3650;
export const DEFAULT_SERVICE = 'runner-defaults';
export const DEFAULT_NAMESPACE = 'runner-defaults';
/** The Secret and the MutatingWebhookConfiguration that `certs --apply` writes by default (deploy/ names them so). */
export const DEFAULT_SECRET = 'runner-defaults-tls';
export const DEFAULT_WEBHOOK_CONFIG = 'runner-defaults';

export function certificatePaths(directory: string) {
  return {
    caCertificate: join(directory, 'ca.crt'),
    caKey: join(directory, 'ca.key'),
    certificate: join(directory, 'tls.crt'),
    key: join(directory, 'tls.key'),
  };
}

/** A failure found before writing, in the form Node gives its own (a `code`), so callers explain both alike. */
const fileProblem = (message: string, code: string) => Object.assign(new Error(message), { code });

/**
 * Throws, writing nothing, unless the set can be written in the directory: it is a directory we may
 * write in (or can be made in one), and each of the four files is absent or a regular file.
 */
export function checkCertificateDirectory(directory: string): void {
  let existing = resolve(directory);
  let stats = statSync(existing, { throwIfNoEntry: false });
  for (; !stats; stats = statSync(existing, { throwIfNoEntry: false })) existing = dirname(existing);
  // Only the directory itself can be found and not be one (below a file, stat throws ENOTDIR); mkdir would say EEXIST.
  if (!stats.isDirectory()) throw fileProblem(`${existing} is not a directory`, 'EEXIST');
  accessSync(existing, constants.W_OK | constants.X_OK);
  for (const path of Object.values(certificatePaths(directory))) {
    const target = statSync(path, { throwIfNoEntry: false });
    if (target && !target.isFile()) throw fileProblem(`${path} is not a regular file`, target.isDirectory() ? 'EISDIR' : 'EINVAL');
  }
}

/**
 * Writes the set after checking the directory: into a temporary folder there, renamed into place
 * only once all four are written, so a failure leaves the files that were there (short of one of
 * the renames themselves failing), and each file gets its mode even when it existed (private keys
 * are readable by their owner only).
 */
export function writeCertificateSet(directory: string, set: CertificateSet): void {
  checkCertificateDirectory(directory);
  mkdirSync(directory, { recursive: true });
  const staging = mkdtempSync(join(directory, '.runner-defaults-'));
  try {
    const files = [
      ['caCertificate', set.ca.certificate, 0o644],
      ['caKey', set.ca.privateKey, 0o600],
      ['certificate', set.serving.certificate, 0o644],
      ['key', set.serving.privateKey, 0o600],
    ] as const;
    const paths = certificatePaths(directory);
    const staged = certificatePaths(staging);
    for (const [name, text, mode] of files) writeFileSync(staged[name], text, { mode });
    for (const [name] of files) renameSync(staged[name], paths[name]);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** The text of a file, or undefined when there is none (nor, with ENOTDIR, a folder to hold it: writing says why). */
function readIfThere(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** The CA's two files in the directory, each undefined when it is not there. */
export function readCaFiles(directory: string): { caCertificate?: string; caKey?: string } {
  const paths = certificatePaths(directory);
  return { caCertificate: readIfThere(paths.caCertificate), caKey: readIfThere(paths.caKey) };
}

/**
 * Runs `work` on certificate files; an error from Node with a code (a folder that is a file, no
 * permission) becomes a one-line CertificateError in `explain`'s words. Ours pass unchanged.
 */
export function withCertificateFiles<T>(work: () => T, explain: (code: string) => string): T {
  try {
    return work();
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (typeof code !== 'string') throw error;
    throw new CertificateError(explain(code));
  }
}

/** A serving certificate for the hosts, from the given CA or a new one. */
export function issueCertificateSet(hosts: readonly string[], days: number, ca?: KeyPairPem): CertificateSet {
  const authority = ca ?? makeCertificateAuthority('runner-defaults CA', Math.max(CA_DAYS, days));
  return { ca: authority, serving: makeServingCertificate(authority, servingNames(hosts), days) };
}

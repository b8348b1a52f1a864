// The development certificate `serve` makes under certs/ when it starts with no certificate of its
// own, so that `npm start` serves HTTPS at once; from the CA already there, by the rule
// `certs --out` follows (stored-ca.ts).
import { existsSync } from 'node:fs';
import { certificatePaths, DEFAULT_NAMESPACE, DEFAULT_SERVICE, issueCertificateSet, writeCertificateSet } from './certificate-files.js';
import { serviceDnsNames } from './certificates.js';
import { storedCa } from './stored-ca.js';

/** The hosts a development certificate covers: this machine and the webhook's in-cluster Service. */
export const DEVELOPMENT_HOSTS = ['localhost', '127.0.0.1', '::1', ...serviceDnsNames(DEFAULT_SERVICE, DEFAULT_NAMESPACE)];

/**
 * Makes certs/ca.crt, ca.key, tls.crt and tls.key when tls.crt or tls.key is missing.
 * Returns the CA file's path when it made them, undefined when they were there.
 */
export function ensureDevelopmentCertificates(directory: string): string | undefined {
  const paths = certificatePaths(directory);
  if (existsSync(paths.certificate) && existsSync(paths.key)) return undefined;
  writeCertificateSet(directory, issueCertificateSet(DEVELOPMENT_HOSTS, 365, storedCa(directory).authority));
  return paths.caCertificate;
}

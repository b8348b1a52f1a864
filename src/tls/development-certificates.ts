// The development certificate `serve` makes under certs/ when it starts with no certificate of its
// own, so that `npm start` serves HTTPS at once; from the CA already there, by the rule
// `certs --out` follows (stored-ca.ts).
import { existsSync } from 'node:fs';
import { certificatePaths, DEFAULT_NAMESPACE, DEFAULT_SERVICE, issueCertificateSet, writeCertificateSet } from './certificate-files.js';
import { serviceDnsNames } from './certificates.js';
import { storedCa } from './stored-ca.js';

/** The hosts a development certificate covers: this machine and the webhook's in-cluster Service. */
const DEVELOPMENT_HOSTS = ['localhost', '127.0.0.1', '::1', ...serviceDnsNames(DEFAULT_SERVICE, DEFAULT_NAMESPACE)];

/** What ensureDevelopmentCertificates made, for the log line. */
export interface MadeDevelopmentCertificate {
  caFile: string;
  /** Whether the CA is new too (else the one in the folder was kept). */
  newCa: boolean;
  /** Why a CA in the folder was replaced, when one was. */
  caNotKept?: string;
}

/**
 * Writes a serving certificate (and ca.crt, ca.key) in the folder when tls.crt or tls.key is
 * missing, from the CA there if it is kept. Undefined when both were there and nothing was made.
 */
export function ensureDevelopmentCertificates(directory: string): MadeDevelopmentCertificate | undefined {
  const paths = certificatePaths(directory);
  if (existsSync(paths.certificate) && existsSync(paths.key)) return undefined;
  const stored = storedCa(directory);
  writeCertificateSet(directory, issueCertificateSet(DEVELOPMENT_HOSTS, 365, stored.authority));
  return { caFile: paths.caCertificate, newCa: stored.authority === undefined, ...(stored.notKept ? { caNotKept: stored.notKept } : {}) };
}

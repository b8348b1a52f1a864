// `runner-defaults certs`: a CA and a serving certificate for the webhook's Service, written as
// ca.crt, ca.key, tls.crt and tls.key, and the base64 CA printed for the webhook's caBundle.
// A CA already in the directory is kept, so a re-issued certificate needs no caBundle change.
import { certificatePaths, issueCertificateSet, readCertificateAuthority, writeCertificateSet } from '../tls/certificate-files.js';
import { serviceDnsNames } from '../tls/certificates.js';

export interface CertsOptions {
  service: string;
  namespace: string;
  out: string;
  days: number;
}

export interface CertsResult {
  caBundle: string;
  files: ReturnType<typeof certificatePaths>;
  reusedCa: boolean;
}

export function runCerts(options: CertsOptions): CertsResult {
  const existing = readCertificateAuthority(options.out);
  const set = issueCertificateSet(serviceDnsNames(options.service, options.namespace), options.days, existing);
  writeCertificateSet(options.out, set);
  return { caBundle: Buffer.from(set.ca.certificate).toString('base64'), files: certificatePaths(options.out), reusedCa: existing !== undefined };
}

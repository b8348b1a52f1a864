// Which CA already in a folder to issue from: the one rule `certs --out` and `serve`'s development
// certificates share. A usable CA is kept (so a re-issued certificate needs no caBundle change),
// one that expires within 30 days is replaced, as `certs --apply` replaces the Secret's, and one
// that cannot be used at all is refused, not overwritten: its ca.key may be the only copy of a key
// some caBundle still trusts. (`certs --apply --out` writes the cluster's set instead.)
import { caProblem, caUnusable } from './certificate-check.js';
import { certificatePaths, readCaFiles } from './certificate-files.js';
import { CertificateError } from './certificate-watcher.js';
import type { KeyPairPem } from './certificates.js';

export interface StoredCa {
  /** The CA to issue from; absent when a new one is to be made. */
  authority?: KeyPairPem;
  /** Why the CA there is replaced, when it is. */
  notKept?: string;
}

/**
 * The CA in `directory`, by the rule above. `rotateFlag` names the option that makes a new CA
 * anyway, for the refusals' advice (`certs --rotate`); none for `serve`.
 */
export function storedCa(directory: string, rotateFlag?: string): StoredCa {
  const { caCertificate, caKey } = readCaFiles(directory);
  if (caCertificate === undefined && caKey === undefined) return {};
  const paths = certificatePaths(directory);
  const remedy = (remove: string) => `remove ${remove}${rotateFlag ? `, or give ${rotateFlag},` : ''} to make a new CA`;
  if (caCertificate === undefined || caKey === undefined) {
    const [there, missing] = caKey === undefined ? [paths.caCertificate, paths.caKey] : [paths.caKey, paths.caCertificate];
    throw new CertificateError(`${missing} is missing beside ${there}: put it back, or ${remedy(there)}`);
  }
  const stored = { caCertificate, caKey };
  // One check when the CA is kept; only a CA that is not is looked at again, to tell unusable from expiring.
  const problem = caProblem(stored, new Date());
  if (!problem) return { authority: { certificate: caCertificate, privateKey: caKey } };
  if (caUnusable(stored)) throw new CertificateError(`${paths.caCertificate} and ${paths.caKey} are not a CA to keep (${problem}): ${remedy('both')}`);
  return { notKept: problem };
}

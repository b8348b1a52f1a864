// When the caBundle bootstrap keeps a stored CA and serving certificate, and when it replaces
// them: each reason in src/tls/certificate-check.ts, and the plan that follows from it.
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { caProblem, planCertificates, servingProblem, type StoredCertificates } from '../src/tls/certificate-check.js';
import { makeCertificateAuthority, makeServingCertificate, serviceDnsNames, servingNames } from '../src/tls/certificates.js';

const NAMES = serviceDnsNames('runner-defaults', 'runner-defaults');
const ca = makeCertificateAuthority('runner-defaults CA', 3650);
const otherCa = makeCertificateAuthority('another CA', 3650);
const serving = makeServingCertificate(ca, servingNames(NAMES), 365);
const good: StoredCertificates = { caCertificate: ca.certificate, caKey: ca.privateKey, certificate: serving.certificate, key: serving.privateKey };
const now = new Date();

describe('the stored CA', () => {
  it.each([
    { what: 'a good CA', stored: good, problem: undefined },
    { what: 'no CA at all', stored: {}, problem: 'no CA' },
    { what: 'a CA without its key', stored: { caCertificate: ca.certificate }, problem: 'no CA' },
    { what: 'a CA that is not PEM', stored: { caCertificate: 'not a certificate', caKey: ca.privateKey }, problem: 'the CA is not a PEM certificate' },
    { what: "a CA with another CA's key", stored: { caCertificate: ca.certificate, caKey: otherCa.privateKey }, problem: 'the CA key does not match its certificate' },
    { what: 'a serving certificate stored as the CA', stored: { caCertificate: serving.certificate, caKey: serving.privateKey }, problem: 'the CA is not a CA certificate' },
    {
      what: 'a CA that expires within 30 days',
      stored: ((short) => ({ caCertificate: short.certificate, caKey: short.privateKey }))(makeCertificateAuthority('short', 20)),
      problem: 'the CA expires within 30 days',
    },
  ])('$what gives the reason "$problem"', ({ stored, problem }) => {
    expect(caProblem(stored, now)).toBe(problem);
  });
});

describe('the stored serving certificate', () => {
  it.each([
    { what: 'a good certificate', stored: good, problem: undefined },
    { what: 'no certificate', stored: { ...good, certificate: undefined }, problem: 'no serving certificate' },
    { what: 'a certificate without its key', stored: { ...good, key: undefined }, problem: 'no serving certificate' },
    { what: 'a certificate that is not PEM', stored: { ...good, certificate: 'not a certificate' }, problem: 'the serving certificate is not a PEM certificate' },
    { what: "a certificate with the CA's key", stored: { ...good, key: ca.privateKey }, problem: 'the serving certificate key does not match its certificate' },
    {
      what: 'a certificate signed by another CA',
      stored: ((other) => ({ ...good, certificate: other.certificate, key: other.privateKey }))(makeServingCertificate(otherCa, servingNames(NAMES), 365)),
      problem: 'the serving certificate is not signed by the CA',
    },
    {
      what: 'a certificate for some of the names only',
      stored: ((partial) => ({ ...good, certificate: partial.certificate, key: partial.privateKey }))(makeServingCertificate(ca, servingNames(NAMES.slice(0, 2)), 365)),
      problem: `the serving certificate is not for ${NAMES.slice(2).join(', ')}`,
    },
    {
      what: 'a certificate that expires within 30 days',
      stored: ((short) => ({ ...good, certificate: short.certificate, key: short.privateKey }))(makeServingCertificate(ca, servingNames(NAMES), 29)),
      problem: 'the serving certificate expires within 30 days',
    },
  ])('$what gives the reason "$problem"', ({ stored, problem }) => {
    expect(servingProblem(stored, ca, NAMES, now)).toBe(problem);
  });
});

describe('the plan', () => {
  it('keeps a good CA and certificate as they are', () => {
    const plan = planCertificates(good, NAMES, 365, false, now);
    expect(plan).toEqual({ set: { ca, serving }, newCa: false, newServing: false });
  });

  it('issues a new serving certificate from the kept CA when the stored one is for other names', () => {
    const other = makeServingCertificate(ca, servingNames(['other.example']), 365);
    const plan = planCertificates({ ...good, certificate: other.certificate, key: other.privateKey }, NAMES, 365, false, now);
    expect(plan.newCa).toBe(false);
    expect(plan.newServing).toBe(true);
    expect(plan.set.ca).toEqual(ca);
    const issued = new X509Certificate(plan.set.serving.certificate);
    expect(issued.verify(new X509Certificate(ca.certificate).publicKey)).toBe(true);
    expect(NAMES.map((name) => issued.checkHost(name, { subject: 'never' }))).toEqual(NAMES);
  });

  it.each([
    { what: 'nothing is stored', stored: undefined, rotate: false, reason: 'no CA' },
    { what: 'rotation is asked for', stored: good, rotate: true, reason: 'rotation asked for' },
  ])('makes a new CA and serving certificate when $what', ({ stored, rotate, reason }) => {
    const plan = planCertificates(stored, NAMES, 365, rotate, now);
    expect(plan).toMatchObject({ newCa: true, newServing: true, reason });
    expect(plan.set.ca.certificate).not.toBe(ca.certificate);
    expect(servingProblem(
      { certificate: plan.set.serving.certificate, key: plan.set.serving.privateKey }, plan.set.ca, NAMES, now,
    )).toBeUndefined();
  });
});

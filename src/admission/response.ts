// Builds the AdmissionReview answer. One place completes every response: uid copied, the asked
// version echoed, patchType only with a non-empty patch. Always allowed: this webhook only adds
// defaults, and its own failure must never become a denial that overrides failurePolicy.
import type { Decision } from './decide.js';
import type { AdmissionRequest, AdmissionVersion } from './request.js';
import { warningsFor } from './warnings.js';

export interface AdmissionResponse {
  uid: string;
  allowed: true;
  patchType?: 'JSONPatch';
  patch?: string;
  warnings?: string[];
}

export interface AdmissionReviewAnswer {
  apiVersion: AdmissionVersion;
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

export function answer(request: Pick<AdmissionRequest, 'uid' | 'apiVersion' | 'dryRun'>, decision: Decision): AdmissionReviewAnswer {
  const response: AdmissionResponse = { uid: request.uid, allowed: true };
  if (decision.patch.length > 0) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(decision.patch)).toString('base64');
  }
  if (request.dryRun) {
    const warnings = warningsFor(decision);
    if (warnings.length > 0) response.warnings = warnings;
  }
  return { apiVersion: request.apiVersion, kind: 'AdmissionReview', response };
}

/**
 * The answer as the text sent. Written out by hand because it runs on every review and
 * JSON.stringify of the answer cost about 2 us, mostly scanning the base64 patch for characters
 * to escape, which base64 never has. The other fields that can hold any text (the uid, the
 * warnings, the version) still go through JSON.stringify; the keys come in the order answer()
 * sets them, so the text is exactly JSON.stringify's (test/admission.test.ts checks it).
 */
export function encodeAnswer({ apiVersion, response }: AdmissionReviewAnswer): string {
  let text = `{"apiVersion":${JSON.stringify(apiVersion)},"kind":"AdmissionReview","response":{"uid":${JSON.stringify(response.uid)},"allowed":true`;
  if (response.patch !== undefined) text += `,"patchType":"JSONPatch","patch":"${response.patch}"`;
  if (response.warnings !== undefined) text += `,"warnings":${JSON.stringify(response.warnings)}`;
  return `${text}}}`;
}

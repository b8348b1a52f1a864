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

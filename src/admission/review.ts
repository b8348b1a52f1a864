// The admission entry point shared by `serve` and `mutate`: request in, decision and answer out.
// A rule that throws still gets an answer with the uid, allowed and unchanged.
import type { RuleContext } from '../rules/types.js';
import { decide, type Decision } from './decide.js';
import type { AdmissionRequest } from './request.js';
import { answer, type AdmissionReviewAnswer } from './response.js';

export interface Reviewed {
  decision: Decision;
  answer: AdmissionReviewAnswer;
}

export function review(request: AdmissionRequest, context: RuleContext): Reviewed {
  let decision: Decision;
  try {
    decision = decide(request, context);
  } catch (error) {
    decision = {
      outcome: 'error',
      reason: `internal error: ${(error as Error).message}`,
      changes: [],
      patch: [],
      details: [],
      adjustments: [],
      patched: request.object,
    };
  }
  return { decision, answer: answer(request, decision) };
}

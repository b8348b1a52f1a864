// Benchmark: the cost of one review without HTTP (parse, decide, patch, encode) against the
// floor of JSON.parse alone, measured side by side in this run on the runner-legacy review.
import { readAdmissionReview } from '../dist/admission/request.js';
import { encodeAnswer } from '../dist/admission/response.js';
import { review } from '../dist/admission/review.js';
import { defaultConfig } from '../dist/config.js';
import { BODY, median } from './server-load.mjs';

const context = { config: defaultConfig };

function perSecond(work, milliseconds) {
  const deadline = performance.now() + milliseconds;
  let count = 0;
  while (performance.now() < deadline) {
    for (let i = 0; i < 200; i++) work();
    count += 200;
  }
  return (count * 1000) / milliseconds;
}

const parseOnly = () => JSON.stringify({ uid: JSON.parse(BODY).request.uid, allowed: true });
/** The two halves of a review as `serve` does it: the request read from its body, then reviewed and encoded. */
export const readRequest = () => readAdmissionReview(JSON.parse(BODY));
export const reviewAndEncode = (request) => encodeAnswer(review(request, context).answer);
const fullReview = () => reviewAndEncode(readRequest());

export function benchReviewCore({ rounds = 5, milliseconds = 400 } = {}) {
  perSecond(parseOnly, 200);
  perSecond(fullReview, 200);
  const floor = [];
  const full = [];
  for (let round = 0; round < rounds; round++) {
    floor.push(perSecond(parseOnly, milliseconds));
    full.push(perSecond(fullReview, milliseconds));
  }
  const floorRate = median(floor);
  const fullRate = median(full);
  const microseconds = (rate) => 1e6 / rate;
  return {
    bodyBytes: Buffer.byteLength(BODY),
    parseOnlyPerSecond: Math.round(floorRate),
    fullReviewPerSecond: Math.round(fullRate),
    parseMicroseconds: +microseconds(floorRate).toFixed(1),
    rulesAndPatchMicroseconds: +(microseconds(fullRate) - microseconds(floorRate)).toFixed(1),
  };
}

// Dry-run warnings: what was applied, in words. `kubectl create --dry-run=server` prints them.
// The API server asks that each stay under 120 characters and drops any with control characters.
import type { Decision } from './decide.js';

const PREFIX = 'runner-defaults: ';
const MAX_LENGTH = 119;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

export function warningsFor(decision: Decision): string[] {
  const sentences = decision.outcome === 'patched' ? decision.details : decision.reason ? [`nothing added: ${decision.reason}`] : [];
  return sentences.map(toWarning);
}

function toWarning(sentence: string): string {
  const text = PREFIX + sentence.replace(CONTROL, '?');
  return text.length <= MAX_LENGTH ? text : `${text.slice(0, MAX_LENGTH - 3)}...`;
}

// The pieces of `audit` without a cluster: kubectl's ages, and the per-pod verdict, which must be
// the webhook's own offline verdict on the same pod (the same decide, not a second copy of the rules).
import { describe, expect, it } from 'vitest';
import { humanAge } from '../src/audit/age.js';
import { countRow, emptySummary, podReport } from '../src/audit/pod-report.js';
import { runMutate } from '../src/commands/mutate.js';
import { defaultConfig } from '../src/config.js';
import { SKIP_ANNOTATION } from '../src/rules/annotations.js';
import { compliantByHand, listed, patchedLegacy } from './helpers/cluster-pods.js';
import { APPLIED, fixturePath, loadPod, POD_FIXTURES } from './helpers/fixtures.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NOW = Date.parse('2026-11-28T12:00:00Z');
const context = { config: defaultConfig };

describe('humanAge', () => {
  it.each<[string, number | undefined, string]>([
    ['a pod created this instant is 0s old', 0, '0s'],
    ['a clock one second behind still reads 0s', -1 * SECOND, '0s'],
    ['a creation time two seconds in the future is invalid', -2 * SECOND, '<invalid>'],
    ['45 seconds read as seconds', 45 * SECOND, '45s'],
    ['up to two minutes are still counted in seconds', 119 * SECOND, '119s'],
    ['under ten minutes show minutes and seconds', 5 * MINUTE + 30 * SECOND, '5m30s'],
    ['whole minutes drop the seconds', 5 * MINUTE, '5m'],
    ['from ten minutes the seconds go', 12 * MINUTE + 59 * SECOND, '12m'],
    ['up to three hours are counted in minutes', 179 * MINUTE, '179m'],
    ['three to eight hours show hours and minutes', 3 * HOUR + 20 * MINUTE, '3h20m'],
    ['whole hours drop the minutes', 3 * HOUR, '3h'],
    ['eight to 48 hours show hours only', 20 * HOUR + 59 * MINUTE, '20h'],
    ['two to eight days show days and hours', 2 * DAY + 5 * HOUR, '2d5h'],
    ['whole days drop the hours', 5 * DAY, '5d'],
    ['from eight days only days', 12 * DAY + 23 * HOUR, '12d'],
    ['two to eight years show years and days', 2 * 365 * DAY + 30 * DAY, '2y30d'],
    ['a pod with no creation time has an unknown age', undefined, '<unknown>'],
  ])('%s', (_name, age, expected) => {
    expect(humanAge(age === undefined ? undefined : NOW - age, NOW)).toBe(expected);
  });
});

/** What `runner-defaults mutate` (the webhook, offline) adds to a fixture: its applied annotation. */
function offlineVerdict(file: string): string[] {
  const pod = JSON.parse(runMutate({ file, output: 'json' }).stdout) as { metadata?: { annotations?: Record<string, string> } };
  return pod.metadata?.annotations?.[APPLIED]?.split(',') ?? [];
}

describe('the verdict on a listed pod', () => {
  it.each(POD_FIXTURES.filter((name) => name !== 'non-runner' && name !== 'runner-opted-out'))(
    'for %s, lists as missing exactly what the webhook adds to it offline',
    (name) => {
      const row = podReport(listed(name, 'team', 'session-runner', NOW), context);
      expect(row.missing).toStrictEqual(offlineVerdict(fixturePath('pods', name)));
      expect(row.optedOut).toBe(false);
      expect(row.applied).toStrictEqual([]);
    },
  );

  it('for an opted-out pod, lists what the webhook would add without the skip annotation, and marks it opted out', () => {
    const pod = loadPod('runner-opted-out');
    const row = podReport(listed(pod, 'team', 'session-runner', NOW), context);
    delete pod.metadata?.annotations?.[SKIP_ANNOTATION];
    expect(row.optedOut).toBe(true);
    expect(row.missing).toStrictEqual(podReport(pod, context).missing);
    expect(row.missing).toStrictEqual(['init-resources', 'liveness-probe', 'readiness-probe', 'restart-policy']);
    expect(loadPod('runner-opted-out').metadata?.annotations?.[SKIP_ANNOTATION]).toBe('true');
  });

  it('leaves the opted-out pod it was given untouched', () => {
    const pod = listed('runner-opted-out', 'team', 'session-runner', NOW);
    const before = structuredClone(pod);
    podReport(pod, context);
    expect(pod).toStrictEqual(before);
  });

  it('for the pod the webhook patched, reads what it applied and finds nothing missing', () => {
    const row = podReport(listed(patchedLegacy(), 'team', 'session-runner', NOW), context);
    expect(row.applied).toStrictEqual(['init-resources', 'liveness-probe', 'readiness-probe', 'restart-policy']);
    expect(row.missing).toStrictEqual([]);
  });

  it('for a pod given every default by hand, finds nothing applied and nothing missing', () => {
    const row = podReport(listed(compliantByHand(), 'team', 'session-runner', NOW), context);
    expect(row).toStrictEqual({ namespace: 'team', name: 'session-runner', createdMs: NOW, applied: [], optedOut: false, missing: [] });
  });

  it('keeps a small row, with no part of the pod in it', () => {
    const row = podReport(listed('runner-legacy', 'team', 'session-runner', NOW - 5 * DAY), context);
    expect(Object.keys(row).sort()).toStrictEqual(['applied', 'createdMs', 'missing', 'name', 'namespace', 'optedOut']);
    expect(JSON.stringify(row).length).toBeLessThan(200);
  });

  it('reports a pod the rules cannot read as unreadable, and counts it apart', () => {
    const pod = listed('runner-legacy', 'team', 'session-runner', NOW);
    (pod.spec as unknown as Record<string, unknown>).containers = 'not a list';
    const row = podReport(pod, context);
    expect(row.unreadable).toBe('cannot read pod: spec.containers is not a list');
    const summary = emptySummary();
    countRow(summary, row);
    expect(summary).toMatchObject({ pods: 1, unreadable: 1, missingDefaults: 0, compliant: 0 });
  });
});

// The two faces of an audit: an aligned table a person reads at a glance, and JSON with a stable
// shape for scripts (README, "Audit: what the webhook did", documents its keys).
import type { ChangeName } from '../rules/types.js';
import { humanAge } from './age.js';
import type { AuditSummary, PodRow } from './pod-report.js';

export const AUDIT_FORMATS = ['table', 'json'] as const;
export type AuditFormat = (typeof AUDIT_FORMATS)[number];

/** One column per default, in the order DESIGN.md and the README list them. */
const DEFAULT_COLUMNS: ReadonlyArray<[ChangeName, string]> = [
  ['readiness-probe', 'READINESS'],
  ['liveness-probe', 'LIVENESS'],
  ['restart-policy', 'RESTART-POLICY'],
  ['init-resources', 'INIT-RESOURCES'],
];

/** ok: nothing to do; missing: lacks defaults; opted-out: annotated skip; unreadable: the rules cannot read it. */
export function rowStatus(row: PodRow): string {
  if (row.optedOut) return 'opted-out';
  if (row.unreadable !== undefined) return 'unreadable';
  return row.missing.length > 0 ? 'missing' : 'ok';
}

/** A default's cell: `added` when the webhook put it there, `ok` when the pod had it or needs none. */
function defaultCell(row: PodRow, name: ChangeName): string {
  if (row.unreadable !== undefined) return '?';
  if (row.missing.includes(name)) {
    // The LimitRange note: the webhook would fit the defaults inside it, or leave some out.
    const effect = name === 'init-resources' ? row.limitRange?.effect : undefined;
    return effect === 'adjusted' ? 'missing (fitted to LimitRange)' : effect === 'skipped' ? 'missing (LimitRange leaves some out)' : 'missing';
  }
  if (row.applied.includes(name)) return 'added';
  // Lacking only what the LimitRanges leave no room for: the webhook would add nothing either.
  return name === 'init-resources' && row.limitRange?.effect === 'skipped' ? 'ok (LimitRange leaves no room)' : 'ok';
}

export function summaryLine(summary: AuditSummary): string {
  const parts = [
    `${summary.pods} runner ${summary.pods === 1 ? 'pod' : 'pods'}`,
    `${summary.patched} patched by the webhook`,
    `${summary.compliant} compliant`,
    `${summary.optedOut} opted out`,
    `${summary.missingDefaults} missing defaults`,
  ];
  if (summary.unreadable > 0) parts.push(`${summary.unreadable} unreadable`);
  return parts.join(', ');
}

export function renderTable(rows: readonly PodRow[], summary: AuditSummary, nowMs: number): string {
  const header = ['NAMESPACE', 'NAME', 'AGE', 'STATUS', ...DEFAULT_COLUMNS.map(([, title]) => title)];
  const lines = [header];
  for (const row of rows) {
    lines.push([row.namespace, row.name, humanAge(row.createdMs, nowMs), rowStatus(row), ...DEFAULT_COLUMNS.map(([name]) => defaultCell(row, name))]);
  }
  const widths = header.map((_, column) => lines.reduce((widest, cells) => Math.max(widest, cells[column]?.length ?? 0), 0));
  const text = lines.map((cells) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('   ').trimEnd());
  return `${text.join('\n')}\n\n${summaryLine(summary)}\n`;
}

export function renderJson(rows: readonly PodRow[], summary: AuditSummary): string {
  const pods = rows.map((row) => ({
    namespace: row.namespace,
    name: row.name,
    creationTimestamp: row.createdMs === undefined ? null : new Date(row.createdMs).toISOString().replace('.000Z', 'Z'),
    applied: row.applied,
    optedOut: row.optedOut,
    missing: row.missing,
    ...(row.unreadable !== undefined ? { unreadable: row.unreadable } : {}),
    ...(row.limitRange !== undefined ? { limitRange: row.limitRange } : {}),
  }));
  return `${JSON.stringify({ pods, summary }, null, 2)}\n`;
}

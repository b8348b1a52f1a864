// `runner-defaults audit`: across a cluster, which runner pods got their defaults, which opted
// out, and which still lack some (created before the webhook was installed, or while it was down).
// Exit codes: 0 done; 1 with --fail-on-missing when a pod (not opted out) lacks a default;
// 2 when the audit could not be done, with one line on stderr naming the cause.
import { ConfigError, loadConfig, type Config } from '../config.js';
import { AuditError, ApiStatusError, connect } from '../kube/connection.js';
import { listPods } from '../audit/list-pods.js';
import { countRow, emptySummary, podReport, withLimitRanges, type PodRow } from '../audit/pod-report.js';
import type { Connection } from '../kube/connection.js';
import type { LimitRange } from '../rules/limit-ranges.js';
import { renderJson, renderTable, type AuditFormat } from '../audit/render.js';
import { selectorToString } from '../rules/selector.js';

export interface AuditOptions {
  namespace?: string;
  allNamespaces?: boolean;
  /** A labelSelector replacing the config's runner selector for the listing. */
  selector?: string;
  output: AuditFormat;
  kubeconfig?: string;
  config?: string;
  failOnMissing?: boolean;
  /** Pods per page (the API's `limit`). */
  chunkSize: number;
}

export interface AuditStreams {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is a terminal: progress is shown only then. */
  progress: boolean;
  now?: () => number;
}

const PREFIX = 'runner-defaults: audit:';

export async function runAudit(options: AuditOptions, streams: AuditStreams): Promise<number> {
  try {
    return await audit(options, streams);
  } catch (error) {
    if (error instanceof AuditError || error instanceof ApiStatusError || error instanceof ConfigError) {
      if (streams.progress) streams.stderr('\r\x1b[K');
      streams.stderr(`${PREFIX} ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

async function audit(options: AuditOptions, streams: AuditStreams): Promise<number> {
  const config = loadConfig(options.config);
  const connection = await connect(options.kubeconfig);
  // A --selector given by hand chooses the pods; each is then judged as a runner pod, so the
  // config's own selector must not turn it away.
  const context = { config: options.selector === undefined ? config : withoutSelector(config) };
  const query = {
    namespace: options.allNamespaces ? undefined : (options.namespace ?? connection.namespace),
    labelSelector: options.selector ?? selectorToString(config.selector),
    limit: options.chunkSize,
  };
  const rows: PodRow[] = [];
  const summary = emptySummary();
  let showing = false;
  const limitRangesOf = namespaceLimitRanges(connection, (line) => streams.stderr(`${PREFIX} ${line}\n`));
  for await (const pods of listPods(connection, query, (line) => streams.stderr(`${PREFIX} ${line}\n`))) {
    for (const pod of pods) {
      const plain = podReport(pod, context);
      const row = plain.missing.includes('init-resources') ? withLimitRanges(plain, pod, context, await limitRangesOf(plain.namespace)) : plain;
      rows.push(row);
      countRow(summary, row);
    }
    // Only a listing of more than one page is long enough to be worth a progress line.
    showing ||= streams.progress && summary.pods >= query.limit;
    if (showing) streams.stderr(`\r\x1b[K${PREFIX} ${summary.pods} pods read…`);
  }
  if (showing) streams.stderr('\r\x1b[K');
  const now = (streams.now ?? Date.now)();
  streams.stdout(options.output === 'json' ? renderJson(rows, summary) : renderTable(rows, summary, now));
  return options.failOnMissing && summary.missingDefaults > 0 ? 1 : 0;
}

function withoutSelector(config: Config): Config {
  return { ...config, selector: { matchLabels: {}, matchExpressions: [] } };
}

/**
 * The LimitRanges of a namespace, listed once and only when a pod there lacks init-resources.
 * A 403 (no `list limitranges`) is said once on stderr and the namespace's answer is unknown;
 * a 404 means the API has no LimitRanges at all.
 */
function namespaceLimitRanges(connection: Connection, note: (line: string) => void) {
  const cache = new Map<string, Promise<LimitRange[] | undefined>>();
  let warned = false;
  const list = async (namespace: string): Promise<LimitRange[] | undefined> => {
    try {
      const body = (await connection.get(`/api/v1/namespaces/${encodeURIComponent(namespace)}/limitranges`)) as { items?: LimitRange[] };
      return Array.isArray(body.items) ? body.items : undefined;
    } catch (error) {
      if (error instanceof ApiStatusError && error.code === 404) return [];
      if (!(error instanceof ApiStatusError)) throw error;
      if (!warned) note(`cannot list LimitRanges (${error.message}); their effect on init-container defaults is shown as unknown`);
      warned = true;
      return undefined;
    }
  };
  return (namespace: string) => {
    let listed = cache.get(namespace);
    if (!listed) cache.set(namespace, (listed = list(namespace)));
    return listed;
  };
}

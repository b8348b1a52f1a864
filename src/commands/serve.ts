// `runner-defaults serve`: the webhook over HTTPS until SIGTERM or SIGINT, then a graceful exit.
// With API access (in a cluster, or --kubeconfig) it keeps every namespace's LimitRanges in
// memory and fits the init-container defaults inside them; without, it says so in one line.
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { loadConfig } from '../config.js';
import type { AdmissionRequest } from '../admission/request.js';
import { KubeError } from '../kube/kube-error.js';
import type { RuleContext } from '../rules/types.js';
import { LimitRangeInformer } from '../server/limit-range-informer.js';
import { createLogger, type LogLevel } from '../server/logger.js';
import { DEFAULT_TIMEOUTS, WebhookServer, type Timeouts } from '../server/webhook-server.js';
import { certificatePaths, withCertificateFiles } from '../tls/certificate-files.js';
import { ensureDevelopmentCertificates, type MadeDevelopmentCertificate } from '../tls/development-certificates.js';

export interface ServeOptions {
  config?: string;
  port: number;
  host?: string;
  tlsCert?: string;
  tlsKey?: string;
  logLevel: LogLevel;
  certPollSeconds: number;
  timeouts: Partial<Timeouts>;
  /** A kubeconfig for the LimitRange informer; in a cluster the service account is used without it. */
  kubeconfig?: string;
  /** False (--no-limit-ranges): never consult LimitRanges. */
  limitRanges: boolean;
  /** How long start-up waits for the first LimitRange list before serving with plain defaults. */
  limitRangesWaitSeconds: number;
}

export const DEVELOPMENT_CERT_DIR = 'certs';

export async function runServe(options: ServeOptions): Promise<void> {
  const config = loadConfig(options.config);
  const logger = createLogger(options.logLevel);
  let certFile = options.tlsCert;
  let keyFile = options.tlsKey;
  if (!certFile || !keyFile) {
    const directory = resolve(DEVELOPMENT_CERT_DIR);
    const made = developmentCertificates(directory);
    ({ certificate: certFile, key: keyFile } = certificatePaths(directory));
    if (made?.newCa) logger.info({ caFile: made.caFile, caNotKept: made.caNotKept }, 'made a development CA and serving certificate; trust the CA to call the webhook (curl --cacert)');
    else if (made) logger.info({ caFile: made.caFile }, 'made a development serving certificate from the CA already there');
  }
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const limitRanges = await startLimitRanges(options, logger);
  const context = limitRanges
    ? (request: AdmissionRequest): RuleContext => ({ config, limitRanges: limitRanges.forNamespace(request.namespace) })
    : (): RuleContext => ({ config });
  const server = new WebhookServer({ certFile, keyFile, certPollMs: options.certPollSeconds * 1000, context, logger, timeouts });
  const address = await server.listen(options.port, options.host);
  logger.info({ address: address.address, port: address.port, config: options.config ?? '(embedded defaults)' }, 'listening');

  /**
   * An exit that cannot wait: logs the reviews already answered and waiting for their batch, then
   * why, and exits 1. No logger.flush() first: it would start an asynchronous write that the exit
   * cuts off, while pino's exit hook writes the whole buffer synchronously.
   */
  const exitNow = (logWhy: () => void): never => {
    server.reportWaiting();
    logWhy();
    process.exit(1);
  };
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) exitNow(() => logger.warn({ signal }, 'second signal: exiting now'));
    stopping = true;
    logger.info({ signal, boundMs: timeouts.shutdownMs, delayMs: timeouts.shutdownDelayMs }, 'shutting down: readiness fails, in-flight reviews finish');
    void limitRanges?.stop();
    void server.shutdown().then(({ cut }) => {
      if (cut > 0) logger.warn({ cut }, 'shutdown bound reached: connections cut');
      logger.info('stopped');
      logger.flush(() => process.exit(0));
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // A bug that escapes every handler (a throw, or a rejection nothing handled) still ends the
  // process, as Node would, with the error's type, message (as `err`, like every other line) and
  // stack; not the error itself, which pino's err serializer would log with every property it carries.
  process.on('uncaughtException', (error: unknown, origin) => {
    const fields = error instanceof Error ? { type: error.name, err: error.message, stack: error.stack } : { type: typeof error };
    exitNow(() => logger.fatal({ origin, ...fields }, 'uncaught exception: exiting'));
  });
}

/** ensureDevelopmentCertificates, with a file-system failure (a read-only directory) as one line that says what to do. */
function developmentCertificates(directory: string): MadeDevelopmentCertificate | undefined {
  return withCertificateFiles(
    () => ensureDevelopmentCertificates(directory),
    (code) => `cannot make a development certificate in ${directory} (${code}); give --tls-cert and --tls-key`,
  );
}

/**
 * Starts the LimitRange informer when serve can reach the API server: with --kubeconfig, or in a
 * cluster (KUBERNETES_SERVICE_HOST set), unless --no-limit-ranges. Waits for the first list at
 * most `limitRangesWaitSeconds`, so an unreachable API server never holds up readiness: until the
 * list arrives, reviews get the plain defaults. A --kubeconfig that cannot be loaded stops start-up.
 */
async function startLimitRanges(options: ServeOptions, logger: Logger): Promise<LimitRangeInformer | undefined> {
  if (!options.limitRanges) {
    logger.info('LimitRanges are not consulted (--no-limit-ranges): init containers get the plain defaults');
    return undefined;
  }
  if (!options.kubeconfig && !process.env.KUBERNETES_SERVICE_HOST) {
    logger.info('no API server access (not in a cluster, no --kubeconfig): LimitRanges are not consulted; init containers get the plain defaults');
    return undefined;
  }
  // Loaded on use: @kubernetes/client-node takes a second to load. In a cluster, with no
  // --kubeconfig, kubectl's loading rules end at the pod's service account.
  const { loadKubeConfig } = await import('../kube/kubeconfig.js');
  let loaded;
  try {
    loaded = loadKubeConfig(options.kubeconfig);
  } catch (error) {
    if (!(error instanceof KubeError)) throw error;
    if (options.kubeconfig) throw error; // the CLI prints it as one line and exits 1
    logger.warn({ err: error.message }, 'no API server access: LimitRanges are not consulted; init containers get the plain defaults');
    return undefined;
  }
  const server = loaded.cluster.server;
  const informer = await LimitRangeInformer.start({ kubeConfig: loaded.config, cluster: loaded.cluster, logger });
  const waitMs = options.limitRangesWaitSeconds * 1000;
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([
    informer.listed.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), waitMs))),
  ]);
  clearTimeout(timer);
  const listedLine = () => logger.info({ server, limitRanges: informer.forNamespace('').length }, 'LimitRanges listed; watching them');
  if (inTime) listedLine();
  else {
    logger.warn({ server, waitedMs: waitMs }, 'LimitRanges not listed in time; serving with plain defaults until they are');
    void informer.listed.then(listedLine);
  }
  return informer;
}

// `runner-defaults serve`: the webhook over HTTPS until SIGTERM or SIGINT, then a graceful exit.
import { resolve } from 'node:path';
import { loadConfig } from '../config.js';
import { createLogger, type LogLevel } from '../server/logger.js';
import { DEFAULT_TIMEOUTS, WebhookServer, type Timeouts } from '../server/webhook-server.js';
import { certificatePaths, ensureDevelopmentCertificates } from '../tls/certificate-files.js';

export interface ServeOptions {
  config?: string;
  port: number;
  host?: string;
  tlsCert?: string;
  tlsKey?: string;
  logLevel: LogLevel;
  certPollSeconds: number;
  timeouts: Partial<Timeouts>;
}

export const DEVELOPMENT_CERT_DIR = 'certs';

export async function runServe(options: ServeOptions): Promise<void> {
  const config = loadConfig(options.config);
  const logger = createLogger(options.logLevel);
  let certFile = options.tlsCert;
  let keyFile = options.tlsKey;
  if (!certFile || !keyFile) {
    const directory = resolve(DEVELOPMENT_CERT_DIR);
    const made = ensureDevelopmentCertificates(directory);
    ({ certificate: certFile, key: keyFile } = certificatePaths(directory));
    if (made) logger.info({ caFile: made }, 'made a development CA and serving certificate; trust the CA to call the webhook (curl --cacert)');
  }
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const server = new WebhookServer({ certFile, keyFile, certPollMs: options.certPollSeconds * 1000, context: () => ({ config }), logger, timeouts });
  const address = await server.listen(options.port, options.host);
  logger.info({ address: address.address, port: address.port, config: options.config ?? '(embedded defaults)' }, 'listening');

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      logger.flush();
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, boundMs: timeouts.shutdownMs, delayMs: timeouts.shutdownDelayMs }, 'shutting down: readiness fails, in-flight reviews finish');
    void server.shutdown().then(({ cut }) => {
      if (cut > 0) logger.warn({ cut }, 'shutdown bound reached: connections cut');
      logger.info('stopped');
      logger.flush(() => process.exit(0));
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

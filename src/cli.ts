#!/usr/bin/env node
// The `runner-defaults` command line: one program for the webhook server and its offline tools.
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from './config.js';
import { OUTPUT_FORMATS, runMutate, type OutputFormat } from './commands/mutate.js';
import { runAudit, type AuditOptions } from './commands/audit.js';
import { AUDIT_FORMATS } from './audit/render.js';
import { InputError } from './read-document.js';
import { runServe } from './commands/serve.js';
import { runCerts, runCertsApply } from './commands/certs.js';
import { KubeError } from './kube/kube-error.js';
import { DEFAULT_SECRET, DEFAULT_WEBHOOK_CONFIG } from './tls/certificate-files.js';
import { LOG_LEVELS, type LogLevel } from './server/logger.js';
import { CertificateError } from './tls/certificate-watcher.js';

function integer(min: number, max: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    return value;
  };
}

/**
 * A reader that stops early (`| head`) closes the pipe: what is left has nowhere to go and is
 * dropped (the stream is closed, so later writes are too), and the command ends as it would have,
 * with its own exit code: a reader that chose to stop is no failure of ours (with `set -o pipefail`,
 * `mutate … | head -1` succeeds; `audit --fail-on-missing | head` still exits 1 for a pod missing a
 * default). Any other write error (a full disk) is one line and the command's failure exit code.
 * Standard error's own write errors are dropped: there is nowhere left to say them, and the
 * answer on standard output is still whole.
 */
function handleOutputErrors(failureCode: number): void {
  process.stderr.on('error', () => undefined);
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') return;
    process.stderr.write(`runner-defaults: cannot write to standard output: ${error.message}\n`);
    process.exit(failureCode);
  });
}

const program = new Command('runner-defaults')
  .description('Readiness and liveness probes, restart policy and init-container resources for ambient-code runner pods')
  .showHelpAfterError()
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

program
  .command('mutate')
  .description('show what the webhook would do to a Pod or an AdmissionReview (YAML or JSON), with no cluster')
  .requiredOption('-f, --filename <file>', 'the Pod or AdmissionReview to read, or - for standard input')
  .option('--config <file>', 'settings file (YAML or JSON); the embedded defaults otherwise')
  .addOption(new Option('-o, --output <format>', 'what to print: the patched pod, or the JSON patch').choices(OUTPUT_FORMATS).default('yaml'))
  .option('--limit-ranges <file>', "LimitRanges (YAML or JSON; kubectl get limitranges -o yaml works), or - for standard input, to fit the defaults in; those of the pod's namespace apply")
  .action((options: { filename: string; config?: string; output: OutputFormat; limitRanges?: string }, command: Command) => {
    if (options.filename === '-' && options.limitRanges === '-') command.error('error: -f and --limit-ranges cannot both read standard input', { exitCode: 2 });
    handleOutputErrors(1);
    const result = runMutate({ file: options.filename, config: options.config, output: options.output, limitRanges: options.limitRanges });
    for (const note of result.notes) process.stderr.write(`runner-defaults: ${note}\n`);
    process.stdout.write(result.stdout);
  });

program
  .command('serve')
  .description('serve the webhook over HTTPS: POST /mutate, GET /healthz, /readyz, /metrics')
  .option('--config <file>', 'settings file (YAML or JSON); the embedded defaults otherwise')
  .option('--port <port>', 'port to listen on (0 picks a free one)', integer(0, 65535), 8443)
  .option('--host <address>', 'address to listen on (default: every address)')
  .option('--tls-cert <file>', 'serving certificate (PEM); default certs/tls.crt, made with a development CA when missing')
  .option('--tls-key <file>', 'private key of the serving certificate (PEM); default certs/tls.key')
  .addOption(new Option('--log-level <level>', 'least severe log level to print').choices(LOG_LEVELS).default('info'))
  .option('--cert-poll-seconds <seconds>', 'also re-read the certificate files this often (they are watched too)', integer(1, 3600), 10)
  .option('--shutdown-timeout-seconds <seconds>', 'how long in-flight reviews may take to finish after SIGTERM', integer(1, 600), 10)
  .option('--shutdown-delay-seconds <seconds>', 'how long readiness fails before the listener closes after SIGTERM', integer(0, 600), 0)
  .option('--keep-alive-timeout-seconds <seconds>', 'how long an idle keep-alive connection stays open (above the API server\'s 90 s)', integer(1, 3600), 120)
  .option('--headers-timeout-seconds <seconds>', 'how long request headers may take to arrive (above the keep-alive timeout)', integer(1, 3600), 125)
  .option('--kubeconfig <file>', "kubeconfig for watching LimitRanges; in a cluster the pod's service account is used without it")
  .option('--no-limit-ranges', 'never consult LimitRanges: init containers always get the plain defaults')
  .option('--limit-ranges-wait-seconds <seconds>', 'how long start-up waits for the first LimitRange list before serving with plain defaults', integer(0, 300), 5)
  .action(async (options: {
    config?: string; port: number; host?: string; tlsCert?: string; tlsKey?: string; logLevel: LogLevel;
    certPollSeconds: number; shutdownTimeoutSeconds: number; shutdownDelaySeconds: number; keepAliveTimeoutSeconds: number; headersTimeoutSeconds: number;
    kubeconfig?: string; limitRanges: boolean; limitRangesWaitSeconds: number;
  }, command: Command) => {
    if (Boolean(options.tlsCert) !== Boolean(options.tlsKey)) command.error('error: --tls-cert and --tls-key go together', { exitCode: 2 });
    if (options.headersTimeoutSeconds <= options.keepAliveTimeoutSeconds) {
      command.error('error: --headers-timeout-seconds must be above --keep-alive-timeout-seconds', { exitCode: 2 });
    }
    await runServe({
      config: options.config,
      port: options.port,
      host: options.host,
      tlsCert: options.tlsCert,
      tlsKey: options.tlsKey,
      logLevel: options.logLevel,
      certPollSeconds: options.certPollSeconds,
      kubeconfig: options.kubeconfig,
      limitRanges: options.limitRanges,
      limitRangesWaitSeconds: options.limitRangesWaitSeconds,
      timeouts: {
        shutdownMs: options.shutdownTimeoutSeconds * 1000,
        shutdownDelayMs: options.shutdownDelaySeconds * 1000,
        keepAliveMs: options.keepAliveTimeoutSeconds * 1000,
        headersMs: options.headersTimeoutSeconds * 1000,
      },
    });
  });

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
function dnsLabel(text: string): string {
  if (!DNS_LABEL.test(text)) throw new InvalidArgumentError('must be a Kubernetes name (lower-case letters, digits and -, at most 63)');
  return text;
}

/** A Kubernetes object name (a DNS subdomain), such as a Secret's or a webhook configuration's. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
function dnsSubdomain(text: string): string {
  if (text.length > 253 || !DNS_SUBDOMAIN.test(text)) throw new InvalidArgumentError('must be a Kubernetes object name (lower-case letters, digits, - and .)');
  return text;
}

interface CertsCommandOptions {
  service: string;
  namespace: string;
  out?: string;
  days: number;
  apply?: boolean;
  webhookConfig?: string;
  secret?: string;
  kubeconfig?: string;
  rotate?: boolean;
}

program
  .command('certs')
  .description("make a CA and a serving certificate for the webhook's Service; print the CA as base64 for caBundle")
  .requiredOption('--service <name>', 'the Service the API server calls', dnsLabel)
  .requiredOption('--namespace <namespace>', "the Service's namespace (and the Secret's, with --apply)", dnsLabel)
  .option('--out <dir>', 'where to write ca.crt, ca.key, tls.crt and tls.key (a usable CA already there is kept); optional with --apply')
  .option('--days <days>', 'how long the serving certificate is valid', integer(1, 3650), 365)
  .option('--apply', 'keep them in the cluster instead: create or update the TLS Secret and set the caBundle of every webhook in the configuration')
  .option('--webhook-config <name>', `with --apply: the MutatingWebhookConfiguration (default ${DEFAULT_WEBHOOK_CONFIG})`, dnsSubdomain)
  .option('--secret <name>', `with --apply: the kubernetes.io/tls Secret, in --namespace (default ${DEFAULT_SECRET})`, dnsSubdomain)
  .option('--kubeconfig <file>', 'with --apply: kubeconfig file; $KUBECONFIG, ~/.kube/config or the in-cluster service account otherwise')
  .option('--rotate', 'make a new CA and serving certificate even when the ones there are still good')
  .action(async (options: CertsCommandOptions, command: Command) => {
    handleOutputErrors(1);
    if (!options.apply) {
      const misplaced = (['webhookConfig', 'secret', 'kubeconfig'] as const).find((key) => options[key] !== undefined);
      if (misplaced) command.error(`error: --${misplaced.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)} goes with --apply`, { exitCode: 2 });
      if (!options.out) return command.error("error: required option '--out <dir>' not specified (or give --apply)", { exitCode: 2 });
      const result = runCerts({ service: options.service, namespace: options.namespace, out: options.out, days: options.days, rotate: options.rotate });
      const ca = result.reusedCa ? 'kept the CA already there' : result.caNotKept ? `new CA, as the one there cannot be kept: ${result.caNotKept}` : 'new CA';
      process.stderr.write(
        `runner-defaults: wrote ${Object.values(result.files).join(', ')} (${ca}); ` +
          `serving names ${options.service}.${options.namespace}.svc and its short and long forms. caBundle:\n`,
      );
      process.stdout.write(`${result.caBundle}\n`);
      return;
    }
    const result = await runCertsApply({
      service: options.service,
      namespace: options.namespace,
      secret: options.secret ?? DEFAULT_SECRET,
      webhookConfig: options.webhookConfig ?? DEFAULT_WEBHOOK_CONFIG,
      days: options.days,
      rotate: options.rotate ?? false,
      kubeconfig: options.kubeconfig,
      out: options.out,
    });
    for (const note of result.notes) process.stderr.write(`runner-defaults: ${note}\n`);
    process.stdout.write(`${result.caBundle}\n`);
  });

program
  .command('audit')
  .description('list runner pods in a cluster: what the webhook added, who opted out, which defaults are missing')
  .option('-n, --namespace <namespace>', "one namespace; the kubeconfig context's namespace otherwise")
  .addOption(new Option('-A, --all-namespaces', 'every namespace').conflicts('namespace'))
  .option('-l, --selector <labels>', "which pods to list (labelSelector); the config's runner selector otherwise")
  .addOption(new Option('-o, --output <format>', 'a table for people, or JSON for scripts').choices(AUDIT_FORMATS).default('table'))
  .option('--kubeconfig <file>', 'kubeconfig file; $KUBECONFIG, ~/.kube/config or the in-cluster service account otherwise')
  .option('--config <file>', 'settings file (YAML or JSON); the embedded defaults otherwise')
  .option('--fail-on-missing', 'exit 1 when a pod (not opted out) lacks a default')
  .option('--chunk-size <pods>', 'pods per page of the listing', integer(1, 10_000), 500)
  .action(async (options: AuditOptions) => {
    handleOutputErrors(2); // audit's 1 says a pod lacks a default
    process.exitCode = await runAudit(options, {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      progress: process.stderr.isTTY === true,
    });
  });

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof InputError || error instanceof ConfigError || error instanceof CertificateError || error instanceof KubeError) {
    process.stderr.write(`runner-defaults: ${error.message}\n`);
    process.exit(1);
  }
  const { syscall, code, message } = error as NodeJS.ErrnoException;
  if (syscall === 'listen' || syscall === 'getaddrinfo') {
    const reason = syscall === 'getaddrinfo' ? `cannot resolve the --host name (${message})` : code === 'EADDRINUSE' ? 'the port is already in use' : message;
    process.stderr.write(`runner-defaults: cannot listen: ${reason}\n`);
    process.exit(1);
  }
  throw error;
}

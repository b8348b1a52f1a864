#!/usr/bin/env node
// The `runner-defaults` command line: one program for the webhook server and its offline tools.
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from './config.js';
import { OUTPUT_FORMATS, runMutate, type OutputFormat } from './commands/mutate.js';
import { parseChunkSize, runAudit, type AuditOptions } from './commands/audit.js';
import { AUDIT_FORMATS } from './audit/render.js';
import { InputError } from './read-document.js';

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
  .action((options: { filename: string; config?: string; output: OutputFormat }) => {
    const result = runMutate({ file: options.filename, config: options.config, output: options.output });
    for (const note of result.notes) process.stderr.write(`runner-defaults: ${note}\n`);
    process.stdout.write(result.stdout);
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
  .option('--chunk-size <pods>', 'pods per page of the listing', parseChunkSize, 500)
  .action(async (options: AuditOptions) => {
    process.exitCode = await runAudit(options, {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      progress: process.stderr.isTTY === true,
    });
  });

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof InputError || error instanceof ConfigError || error instanceof InvalidArgumentError) {
    process.stderr.write(`runner-defaults: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

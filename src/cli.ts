#!/usr/bin/env node
// The `runner-defaults` command line: one program for the webhook server and its offline tools.
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from './config.js';
import { OUTPUT_FORMATS, runMutate, type OutputFormat } from './commands/mutate.js';
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

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof InputError || error instanceof ConfigError || error instanceof InvalidArgumentError) {
    process.stderr.write(`runner-defaults: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

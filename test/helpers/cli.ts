// Runs the built command line (dist/cli.js, made by `npm run build` before the tests) as a child process.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  input?: string;
  nodeArgs?: string[];
  cwd?: string;
  /** Close standard output after its first chunk, as `| head -1` does. */
  readOnce?: boolean;
  /** A file descriptor for the child's standard output, instead of a pipe read to the end. */
  stdoutFd?: number;
  /** Close standard error's reading end at once, as a reader of `2>&1 | ...` that has gone does. */
  closeStderr?: boolean;
}

function run(args: string[], { input, nodeArgs = [], cwd, readOnce = false, stdoutFd, closeStderr = false }: RunOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, CLI, ...args], { stdio: ['pipe', stdoutFd ?? 'pipe', 'pipe'], cwd });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (readOnce) child.stdout?.destroy();
    });
    if (closeStderr) child.stderr?.destroy();
    else child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin?.end(input ?? '');
  });
}

/** `nodeArgs` go to node itself, before the script (for example a heap limit); `cwd` is where it runs. */
export function runCli(args: string[], input?: string, nodeArgs: string[] = [], cwd?: string): Promise<CliResult> {
  return run(args, { input, nodeArgs, cwd });
}

/** runCli, but the reader closes standard output after its first chunk, as `| head -1` does. */
export function runCliReadingOnce(args: string[], input?: string): Promise<CliResult> {
  return run(args, { input, readOnce: true });
}

/** runCli, but nobody reads standard error: the child's writes there fail with EPIPE. */
export function runCliWithStderrClosed(args: string[], input?: string): Promise<CliResult> {
  return run(args, { input, closeStderr: true });
}

/** runCli with standard output on /dev/full (Linux), where every write fails with ENOSPC, as on a full disk. */
export async function runCliOnFullDisk(args: string[]): Promise<CliResult> {
  const full = openSync('/dev/full', 'w');
  try {
    return await run(args, { stdoutFd: full });
  } finally {
    closeSync(full);
  }
}

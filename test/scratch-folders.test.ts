// Guards test/global-setup.ts: a test's scratch folders, and those of the processes it starts,
// land under the run's one folder. Fails if a vitest upgrade stops giving workers the global
// setup's environment, which would bring back ~70 folders left in /tmp by every run.
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { basename } from 'node:path';
import { expect, it } from 'vitest';

it('puts this worker’s temporary folder under the run’s folder', () => {
  expect(basename(tmpdir())).toMatch(/^runner-defaults-test-\w{6}$/);
});

it('gives a process a test starts the same temporary folder', () => {
  const childTmp = execFileSync(process.execPath, ['-p', "require('node:os').tmpdir()"], { encoding: 'utf8' }).trim();
  expect(childTmp).toBe(tmpdir());
});

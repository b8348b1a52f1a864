// Every scratch folder of a test run goes under one folder that is removed when the run completes
// (a run stopped with Ctrl-C leaves that one folder). Tests make theirs with os.tmpdir(), which
// reads TMPDIR; vitest 4 starts its workers after the global setup, with this process's
// environment, so setting it here reaches them all. Without it each `npm test` left about 70
// folders in /tmp (kubeconfigs, certificates, server working folders).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'runner-defaults-test-'));
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}

// Benchmark: where a review's server CPU goes. Each stage of bench/stage-server.mjs adds one part
// of the webhook's work; the server process's CPU time (all its threads, from /proc) per request
// under the same autocannon load tells what each part costs, in a server rather than a loop.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { BODY, stop } from './server-load.mjs';
import { spawnServer } from './spawn-server.mjs';

export const STAGE_SERVER = new URL('./stage-server.mjs', import.meta.url).pathname;
export const STAGES = ['floor', 'sized', 'rules', 'endpoint', 'metrics', 'logged'];

function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function measure(stage, files) {
  const { child, port } = await spawnServer(process.execPath, [STAGE_SERVER, stage, files.certificate, files.key]);
  const options = { url: `https://127.0.0.1:${port}/mutate`, method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY, connections: 16 };
  await autocannon({ ...options, amount: 3000 });
  const before = cpuMs(child.pid);
  const result = await autocannon({ ...options, amount: 15_000 });
  const microseconds = ((cpuMs(child.pid) - before) * 1000) / result.requests.total;
  await stop({ child });
  return microseconds;
}

/**
 * Server CPU microseconds per request at each stage: the least of `rounds` alternating runs. On a
 * shared machine interference only ever adds CPU time (cache misses, stolen cycles), so the least
 * is the steadiest estimate of what the code itself costs.
 */
export async function benchCostBreakdown(files, { rounds = 5 } = {}) {
  const samples = Object.fromEntries(STAGES.map((stage) => [stage, []]));
  for (let round = 0; round < rounds; round++) for (const stage of STAGES) samples[stage].push(await measure(stage, files));
  return Object.fromEntries(STAGES.map((stage) => [stage, Math.round(Math.min(...samples[stage]))]));
}

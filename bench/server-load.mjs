// Benchmark: runner-defaults serve against a bare node:https baseline, side by side in one run,
// same certificate, same request (the runner-legacy review), with autocannon over keep-alive
// connections: throughput at saturation, latency at a fixed modest rate, and resident memory.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { scratchFolder } from './scratch.mjs';
import { spawnServer } from './spawn-server.mjs';
import { issueCertificateSet, writeCertificateSet, certificatePaths } from '../dist/tls/certificate-files.js';

export const BODY = readFileSync(new URL('../test/fixtures/admission/create-runner-legacy.json', import.meta.url), 'utf8');
const CLI = new URL('../dist/cli.js', import.meta.url).pathname;
export const BASELINE = new URL('./baseline-server.mjs', import.meta.url).pathname;

/** A certificate set for the benchmarks' servers, in a folder removed when the benchmark exits. */
export function certificates() {
  const dir = scratchFolder('bench-certs-');
  writeCertificateSet(dir, issueCertificateSet(['localhost', '127.0.0.1'], 2));
  return certificatePaths(dir);
}

export async function start(name, args, options) {
  return { name, ...(await spawnServer(process.execPath, args, options)) };
}

export async function stop(server) {
  server.child.kill('SIGTERM');
  await once(server.child, 'exit');
}

function residentMegabytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024;
}

/** The p-th percentile of sorted response times, in ms to the microsecond. */
export const percentileOf = (sorted, p) => +(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN).toFixed(3);

/** An autocannon run of the runner-legacy review against a server started with `start` (its caFile set). */
export function reviewLoad(server, options) {
  return autocannon({
    url: `https://127.0.0.1:${server.port}/mutate?timeout=10s`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: BODY,
    tlsOptions: { ca: readFileSync(server.caFile) },
    servername: 'localhost',
    ...options,
  });
}

/** Runs autocannon against a server and also keeps every response time (autocannon's histogram rounds to whole ms). */
async function load(server, options) {
  const times = [];
  let wrong = 0;
  const instance = reviewLoad(server, options);
  instance.on('response', (_client, status, _bytes, responseTime) => {
    times.push(responseTime);
    if (status !== 200) wrong++;
  });
  const result = await instance;
  times.sort((a, b) => a - b);
  return {
    requestsPerSecond: Math.round(result.requests.total / result.duration),
    total: result.requests.total,
    times,
    errors: result.errors + result.timeouts + wrong + result.non2xx,
    p50Ms: percentileOf(times, 50),
    p99Ms: percentileOf(times, 99),
  };
}

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Resident memory of a serve process of its own, at start and after 20,000 and 100,000 reviews
 * since start. Measured on the process the rounds had used, the first figure depended on how far
 * V8 had shrunk the idle heap during the low-rate rounds (runs gave anything from -13% to +17%).
 */
async function residentGrowth(files) {
  const webhook = await start('runner-defaults', serveArgs(files));
  webhook.caFile = files.caCertificate;
  try {
    const before = residentMegabytes(webhook.child.pid);
    await load(webhook, { connections: 16, amount: 20_000 });
    const after20k = residentMegabytes(webhook.child.pid);
    await load(webhook, { connections: 16, amount: 80_000 });
    const after100k = residentMegabytes(webhook.child.pid);
    return {
      startMb: +before.toFixed(1),
      after20kMb: +after20k.toFixed(1),
      after100kMb: +after100k.toFixed(1),
      growthPercent: +((after100k / after20k - 1) * 100).toFixed(1),
    };
  } finally {
    await stop(webhook);
  }
}

/** `serve` as the image's ENTRYPOINT and `npm start` run it: node with --no-memory-reducer (the Dockerfile says why). */
export const serveArgs = (files) => ['--no-memory-reducer', CLI, 'serve', '--host', '127.0.0.1', '--port', '0', '--tls-cert', files.certificate, '--tls-key', files.key];

/** The servers in their order for a round: as given in even rounds, reversed in odd ones. */
const inOrder = (servers, round) => (round % 2 === 0 ? servers : [...servers].reverse());

/**
 * Saturation and the fixed rate are measured in rounds, each a run of both servers, and each ratio
 * is the median of the rounds' own ratios: on a shared machine the speed of the whole machine
 * drifts between runs (the same baseline measured 6,700 and 11,400 req/s in one bench), and two
 * runs side by side in time share most of that drift. Which server runs first alternates from
 * round to round, so that neither always runs right after the other. At 200 req/s, a `serve`
 * measured right after the baseline had a p99 of 3.26 and 2.63 ms where a second `serve`, measured
 * after a `serve`, had 2.15 and 1.96 ms (two runs by hand of 6 rounds of 10 s; a third, with the
 * baseline's memory reducer off, gave 2.87 and 2.86). Why was not found.
 */
export async function benchServerLoad({ rounds = 5, saturationSeconds = 4, rateRounds = 5, rateSeconds = 10, rate = 200 } = {}) {
  const files = certificates();
  const memory = await residentGrowth(files);
  const servers = [
    await start('baseline', [BASELINE, files.certificate, files.key]),
    await start('runner-defaults', serveArgs(files)),
  ];
  for (const server of servers) server.caFile = files.caCertificate;
  const results = { saturation: {}, fixedRate: {}, memory };
  try {
    for (const server of servers) await load(server, { connections: 16, duration: 2 }); // warm-up
    const saturation = Object.fromEntries(servers.map((server) => [server.name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const server of inOrder(servers, round)) {
        const { requestsPerSecond, errors } = await load(server, { connections: 16, duration: saturationSeconds });
        saturation[server.name].push({ requestsPerSecond, errors });
      }
    }
    for (const server of servers) {
      const runs = saturation[server.name];
      results.saturation[server.name] = {
        requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)),
        runs: runs.map((run) => run.requestsPerSecond),
        errors: runs.reduce((sum, run) => sum + run.errors, 0),
      };
    }
    const fixedRate = Object.fromEntries(servers.map((server) => [server.name, []]));
    for (let round = 0; round < rateRounds; round++) {
      for (const server of inOrder(servers, round)) fixedRate[server.name].push(await load(server, { connections: 1, overallRate: rate, duration: rateSeconds }));
    }
    for (const server of servers) {
      const runs = fixedRate[server.name];
      results.fixedRate[server.name] = {
        total: runs.reduce((sum, run) => sum + run.total, 0),
        errors: runs.reduce((sum, run) => sum + run.errors, 0),
        p50Ms: median(runs.map((run) => run.p50Ms)),
        p99Ms: median(runs.map((run) => run.p99Ms)),
        p99Runs: runs.map((run) => run.p99Ms),
        // Every round's requests together: the slowest 1 % of 10,000 rather than of 2,000.
        pooledP99Ms: percentileOf(runs.flatMap((run) => run.times).sort((a, b) => a - b), 99),
      };
    }
  } finally {
    for (const server of servers) await stop(server);
  }
  const baseline = results.saturation.baseline.runs;
  results.roundRatios = results.saturation['runner-defaults'].runs.map((run, round) => +(run / baseline[round]).toFixed(2));
  results.throughputRatio = median(results.roundRatios);
  const baselineP99 = results.fixedRate.baseline.p99Runs;
  results.p99RoundRatios = results.fixedRate['runner-defaults'].p99Runs.map((p99, round) => +(p99 / baselineP99[round]).toFixed(2));
  results.p99Ratio = median(results.p99RoundRatios);
  results.pooledP99Ratio = +(results.fixedRate['runner-defaults'].pooledP99Ms / results.fixedRate.baseline.pooledP99Ms).toFixed(2);
  results.rate = rate;
  return results;
}

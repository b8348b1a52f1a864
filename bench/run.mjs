// `npm run bench`: every benchmark, each against a baseline measured in the same run; the raw
// figures go to bench/results/ (ignored by git). Not part of `npm test`.
import { writeResults } from './results-file.mjs';
import { benchReviewCore } from './review-core.mjs';
import { benchCostBreakdown, STAGES } from './cost-breakdown.mjs';
import { benchServerLoad, certificates } from './server-load.mjs';

const results = { date: new Date().toISOString(), node: process.version };
// Every process of the run (the servers and autocannon) runs on the node that runs this script.
console.log(`Node ${results.node}, ${results.date}`);

results.reviewCore = benchReviewCore();
const core = results.reviewCore;
console.log(`review core, runner-legacy (${core.bodyBytes} bytes), one core:`);
console.log(`  JSON.parse only (floor)          ${core.parseOnlyPerSecond.toLocaleString('en')} reviews/s  (${core.parseMicroseconds} us each)`);
console.log(`  parse + rules + patch + encode   ${core.fullReviewPerSecond.toLocaleString('en')} reviews/s`);
console.log(`  rules + patch + encode alone     ${core.rulesAndPatchMicroseconds} us a review (${(core.rulesAndPatchMicroseconds / core.parseMicroseconds).toFixed(2)} x the parse)`);

const rulesAlonePerSecond = Math.round(1e6 / core.rulesAndPatchMicroseconds);
console.log(`  rules + patch + encode alone     ${rulesAlonePerSecond.toLocaleString('en')} reviews/s on one core (target: at least 20,000)`);

console.log('\nserver over HTTPS, runner-legacy review, autocannon on keep-alive connections (medians of rounds, each a run of both servers, which goes first alternating):');
results.serverLoad = await benchServerLoad();
const load = results.serverLoad;
const row = (name) => {
  const saturation = load.saturation[name];
  const fixed = load.fixedRate[name];
  return `  ${name.padEnd(16)} ${String(saturation.requestsPerSecond).padStart(6)} req/s (runs ${saturation.runs.join(', ')}; errors ${saturation.errors})   p50 ${fixed.p50Ms} ms  p99 ${fixed.p99Ms} ms at ${load.rate} req/s (errors ${fixed.errors})`;
};
console.log(row('baseline'));
console.log(row('runner-defaults'));
console.log(`  throughput ratio ${load.throughputRatio}, the median of each round's (rounds: ${load.roundRatios.join(', ')}; target: at least 0.8)`);
console.log(`  p99 ratio ${load.p99Ratio}, the median of each round's (rounds: ${load.p99RoundRatios.join(', ')}; target: at most 1.5)`);
console.log(`  p99 of all rounds' requests together: ${load.fixedRate['runner-defaults'].pooledP99Ms} against ${load.fixedRate.baseline.pooledP99Ms} ms, ratio ${load.pooledP99Ratio} (steadier: the slowest 1 % of 10,000)`);
console.log(`  resident memory: ${load.memory.startMb} MB at start, ${load.memory.after20kMb} MB after 20,000 reviews, ${load.memory.after100kMb} MB after 100,000 (growth ${load.memory.growthPercent}%, target: at most 10%)`);

console.log('\nwhere the server CPU goes (microseconds of server CPU per review, all threads, least of 5 alternating runs):');
results.costBreakdown = await benchCostBreakdown(certificates());
const cost = results.costBreakdown;
const labels = { floor: 'parse + answer (floor)', sized: '+ a patch-sized answer', rules: '+ rules, patch, encode', endpoint: '+ request handling, batched', metrics: '+ metrics', logged: '+ log line (= serve)' };
STAGES.forEach((stage, index) => {
  const step = index === 0 ? '' : ` (${cost[stage] - cost[STAGES[index - 1]] >= 0 ? '+' : ''}${cost[stage] - cost[STAGES[index - 1]]})`;
  console.log(`  ${labels[stage].padEnd(28)} ${String(cost[stage]).padStart(4)} us${step}`);
});
console.log(`  floor / serve: ${(cost.floor / cost.logged).toFixed(2)} (the throughput ratio this CPU cost allows)`);
console.log(`  floor / (floor + review only): ${(cost.floor / cost.rules).toFixed(2)} (the review alone, one at a time as each request is read, before request checks, metrics and the log line)`);

writeResults('bench', results);

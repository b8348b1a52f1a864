// `npm run bench`: every benchmark, each against a baseline measured in the same run; the raw
// figures go to bench/results/ (ignored by git). Not part of `npm test`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { benchReviewCore } from './review-core.mjs';

const results = { date: new Date().toISOString(), node: process.version };

results.reviewCore = benchReviewCore();
const core = results.reviewCore;
console.log(`review core, runner-legacy (${core.bodyBytes} bytes), one core:`);
console.log(`  JSON.parse only (floor)          ${core.parseOnlyPerSecond.toLocaleString('en')} reviews/s  (${core.parseMicroseconds} us each)`);
console.log(`  parse + rules + patch + encode   ${core.fullReviewPerSecond.toLocaleString('en')} reviews/s`);
console.log(`  rules + patch + encode alone     ${core.rulesAndPatchMicroseconds} us a review (${(core.rulesAndPatchMicroseconds / core.parseMicroseconds).toFixed(2)} x the parse)`);

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const file = new URL(`./results/bench-${results.date.replace(/[:.]/g, '-')}.json`, import.meta.url);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`raw figures: ${file.pathname}`);

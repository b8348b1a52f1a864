// Where every benchmark writes its raw figures: bench/results/<kind>-<date>.json, ignored by git.
import { mkdirSync, writeFileSync } from 'node:fs';

/** Writes `results` (which carries its `date`) under bench/results/ and says where. */
export function writeResults(kind, results) {
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const file = new URL(`./results/${kind}-${results.date.replace(/[:.]/g, '-')}.json`, import.meta.url);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`raw figures: ${file.pathname}`);
}

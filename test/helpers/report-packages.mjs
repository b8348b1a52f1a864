// Preloaded into a child process (NODE_OPTIONS=--import): at exit, writes the npm packages the
// process loaded to stderr as one JSON line, {"loadedPackages":[...]}. Node's CommonJS cache holds
// every CommonJS file, whether required or imported from an ES module, and every package serve
// uses that could be left unloaded is CommonJS.
import { createRequire } from 'node:module';

const cache = createRequire(import.meta.url).cache;
process.on('exit', () => {
  const names = new Set();
  for (const file of Object.keys(cache)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
    if (match) names.add(match[1]);
  }
  process.stderr.write(`${JSON.stringify({ loadedPackages: [...names].sort() })}\n`);
});

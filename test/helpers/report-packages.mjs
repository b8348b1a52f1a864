// Preloaded into a child process (NODE_OPTIONS=--import): at exit, writes the CommonJS npm packages
// the process loaded to stderr as one JSON line, {"loadedPackages":[...]}. Node's CommonJS cache
// holds every CommonJS file, whether required or imported from an ES module; a package that is an
// ES module (@kubernetes/client-node is) never appears in it, so this cannot say it stayed unloaded.
import { createRequire } from 'node:module';

const cache = createRequire(import.meta.url).cache;
process.on('exit', () => {
  const names = new Set();
  for (const file of Object.keys(cache)) {
    // The last node_modules in the path: a nested copy counts as its own package.
    const match = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
    if (match) names.add(match[1]);
  }
  process.stderr.write(`${JSON.stringify({ loadedPackages: [...names].sort() })}\n`);
});

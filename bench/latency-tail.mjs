// `npm run bench:tail`: where the slowest 1 % of requests at 200 req/s on one connection lose their
// time, the p99 that `npm run bench` compares. For the baseline and for `serve`, each with
// bench/request-trace.mjs preloaded, every request is split into the wait before its handler
// started, the handler, and the rest (the answer's way back to the client); the tool also counts
// the garbage collections that overlapped it and whether it was the first of its second (see
// echoRound). A bare TCP echo of the same bytes in the same pattern gives the machine's own tail.
// All times are on the monotonic clock the processes share. Not part of `npm test`; the raw
// figures go to bench/results/.
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASELINE, certificates, median, percentileOf, reviewLoad, serveArgs, start, stop } from './server-load.mjs';

const RATE = 200;
const ROUNDS = 3;
const ROUND_SECONDS = 10;
/** A gap between two requests longer than this ends a burst (a burst of 200 takes about 60 ms). */
const IDLE_MS = 100;
const BODY = readFileSync(new URL('../test/fixtures/admission/create-runner-legacy.json', import.meta.url));
const TRACER = new URL('./request-trace.mjs', import.meta.url).pathname;
const ECHO = new URL('./echo-server.mjs', import.meta.url).pathname;
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** One connection at RATE a second for ROUND_SECONDS: each request's [sent, received] in ms. */
async function reviewRound(server) {
  const exchanges = [];
  const instance = reviewLoad(server, { connections: 1, overallRate: RATE, duration: ROUND_SECONDS });
  instance.on('response', (_client, _status, _bytes, responseTimeMs) => {
    const receivedMs = nowMs();
    exchanges.push([receivedMs - responseTimeMs, receivedMs]);
  });
  await instance;
  return exchanges;
}

/**
 * The same bytes echoed over plain TCP in the same pattern: autocannon's overallRate is a budget a
 * second (lib/httpClient.js), so on one connection it sends the second's RATE requests back to
 * back, each as the answer to the one before arrives, and then waits for the next second.
 * Returns each exchange's [sent, received] in ms.
 */
async function echoRound(port) {
  const socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await once(socket, 'connect');
  const exchanges = [];
  const firstMs = nowMs();
  let sentMs = 0;
  let received = 0;
  const send = () => {
    sentMs = nowMs();
    received = 0;
    socket.write(BODY);
  };
  await new Promise((resolve) => {
    socket.on('data', (data) => {
      received += data.length;
      if (received < BODY.length) return;
      exchanges.push([sentMs, nowMs()]);
      if (exchanges.length === RATE * ROUND_SECONDS) resolve();
      else if (exchanges.length % RATE !== 0) send();
      else setTimeout(send, Math.max(0, firstMs + (exchanges.length / RATE) * 1000 - nowMs()));
    });
    send();
  });
  socket.destroy();
  return exchanges;
}

/** Whether each exchange is the first of its second's burst, sent after the rest of the previous second idle. */
const firstOfBurst = (exchanges) => exchanges.map(([sentMs], index) => index === 0 || sentMs - exchanges[index - 1][1] > IDLE_MS);
const latencies = (exchanges) => exchanges.map(([sentMs, receivedMs]) => receivedMs - sentMs).sort((a, b) => a - b);
const share = (count, total) => +((100 * count) / total).toFixed(2);
const round3 = (value) => +value.toFixed(3);

/**
 * Sets each client exchange beside the server's record of the same request (on one connection,
 * the last one whose handler started before the answer arrived) and the collections that
 * overlapped it. `rounds` are lists of [sent, received] exchanges.
 */
function analyse(rounds, trace) {
  const starts = trace.requests.map((request) => request.startMs);
  const lastStartedBy = (ms) => {
    let low = 0;
    let high = starts.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (starts[middle] <= ms) low = middle + 1;
      else high = middle;
    }
    return trace.requests[low - 1];
  };
  const parts = [];
  const collections = [];
  for (const exchanges of rounds) {
    const [firstMs, lastMs] = [exchanges[0][0], exchanges.at(-1)[1]];
    const inRound = trace.collections.filter((gc) => gc.startMs >= firstMs && gc.startMs <= lastMs);
    collections.push(...inRound);
    const firsts = firstOfBurst(exchanges);
    for (const [index, [sentMs, receivedMs]] of exchanges.entries()) {
      const request = lastStartedBy(receivedMs);
      const collected = inRound.some((gc) => gc.startMs < receivedMs && gc.startMs + gc.durationMs > sentMs);
      parts.push({
        totalMs: receivedMs - sentMs,
        beforeMs: request.startMs - sentMs,
        handlerMs: request.sentMs - request.startMs,
        afterMs: receivedMs - request.sentMs,
        collected,
        first: firsts[index],
      });
    }
  }
  parts.sort((a, b) => a.totalMs - b.totalMs);
  const slowest = parts.slice(Math.floor(parts.length * 0.99));
  return {
    waitedOver1MsPercent: share(parts.filter((part) => part.beforeMs > 1).length, parts.length),
    handlerOver1MsPercent: share(parts.filter((part) => part.handlerMs > 1).length, parts.length),
    slowest: {
      count: slowest.length,
      beforeMs: round3(median(slowest.map((part) => part.beforeMs))),
      handlerMs: round3(median(slowest.map((part) => part.handlerMs))),
      afterMs: round3(median(slowest.map((part) => part.afterMs))),
      withCollection: slowest.filter((part) => part.collected).length,
      firstOfBurst: slowest.filter((part) => part.first).length,
    },
    collections: collections.length,
    collectionMedianMs: collections.length > 0 ? round3(median(collections.map((gc) => gc.durationMs))) : 0,
  };
}

const files = certificates();
const traceDir = mkdtempSync(join(tmpdir(), 'bench-trace-'));
const traced = async (name, args) => {
  const traceFile = join(traceDir, `${name}.json`);
  const server = await start(name, ['--import', TRACER, ...args], { env: { ...process.env, REQUEST_TRACE_FILE: traceFile } });
  return Object.assign(server, { caFile: files.caCertificate, traceFile, rounds: [] });
};
const servers = [await traced('baseline', [BASELINE, files.certificate, files.key]), await traced('runner-defaults', serveArgs(files))];
const echo = Object.assign(await start('tcp echo', [ECHO]), { rounds: [] });

// As in `npm run bench`: a warm-up at saturation, then rounds that alternate the two servers.
for (const server of servers) await reviewLoad(server, { connections: 16, duration: 5 });
for (let round = 0; round < ROUNDS; round++) {
  for (const server of servers) server.rounds.push(await reviewRound(server));
  echo.rounds.push(await echoRound(echo.port));
}
await stop(echo);
for (const server of servers) await stop(server);

const results = { date: new Date().toISOString(), node: process.version, rate: RATE, seconds: ROUNDS * ROUND_SECONDS };
const describe = ({ name, rounds }) => {
  const sorted = latencies(rounds.flat());
  const firsts = latencies(rounds.flatMap((exchanges) => exchanges.filter((_, index) => firstOfBurst(exchanges)[index])));
  return {
    name,
    requests: sorted.length,
    p50Ms: percentileOf(sorted, 50),
    p99Ms: percentileOf(sorted, 99),
    over1MsPercent: share(sorted.filter((ms) => ms > 1).length, sorted.length),
    firstOfBurst: { count: firsts.length, medianMs: percentileOf(firsts, 50) },
  };
};
results.echo = describe(echo);
results.servers = servers.map((server) => ({ ...describe(server), ...analyse(server.rounds, JSON.parse(readFileSync(server.traceFile, 'utf8'))) }));
rmSync(traceDir, { recursive: true, force: true });

console.log(`latency at ${RATE} req/s on one connection, ${ROUNDS} rounds of ${ROUND_SECONDS} s, every request pooled (ms):`);
const summary = ({ name, p50Ms, p99Ms, over1MsPercent, firstOfBurst }) =>
  `  ${name.padEnd(16)} p50 ${p50Ms}  p99 ${p99Ms}  over 1 ms: ${over1MsPercent} %  first of each second (after the rest of the one before idle): median ${firstOfBurst.medianMs}`;
console.log(`${summary(results.echo)}  (the machine's own round trip, no TLS or HTTP)`);
for (const server of results.servers) {
  const { slowest } = server;
  console.log(summary(server));
  console.log(`    waited over 1 ms before the handler: ${server.waitedOver1MsPercent} % of requests; handler over 1 ms: ${server.handlerOver1MsPercent} %`);
  console.log(`    slowest 1 % (${slowest.count}): ${slowest.firstOfBurst} first of their second, ${slowest.withCollection} overlapped a garbage collection; medians ${slowest.beforeMs} before the handler, ${slowest.handlerMs} in it, ${slowest.afterMs} after`);
    console.log(`    garbage collections during its rounds: ${server.collections}, median ${server.collectionMedianMs} ms`);
}
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const file = new URL(`./results/tail-${results.date.replace(/[:.]/g, '-')}.json`, import.meta.url);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`raw figures: ${file.pathname}`);

// A bare TCP echo server for bench/latency-tail.mjs: the machine's own round trip over loopback,
// with no TLS, HTTP or JavaScript work to speak of. Prints {"msg":"listening","port":N} like serve.
import { createServer } from 'node:net';

const server = createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('data', (data) => socket.write(data));
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ msg: 'listening', port: server.address().port })));
process.on('SIGTERM', () => process.exit(0));

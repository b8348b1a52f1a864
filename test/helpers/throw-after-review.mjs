// Preloaded into serve (NODE_OPTIONS=--import) to inject a fault: right after the first answer to
// /mutate is sent, an error is thrown outside every handler, in the same turn of the event loop,
// so the review is answered but still waiting for its log line when the process must stop. The
// error carries a property, as a library's error might carry a request, that must not be logged.
import { ServerResponse } from 'node:http';

const end = ServerResponse.prototype.end;
let thrown = false;
ServerResponse.prototype.end = function (...args) {
  const result = end.apply(this, args);
  if (!thrown && this.req?.url?.startsWith('/mutate')) {
    thrown = true;
    process.nextTick(() => {
      throw Object.assign(new Error('injected fault'), { body: 'env value: hunter2' });
    });
  }
  return result;
};

// The HTTP server for the Express app, with requests and responses born with Express's prototypes.
//
// Express 5 gives every request and response a new prototype on arrival (`app.handle` calls
// Object.setPrototypeOf(req, app.request), and the same for res). V8 pays for a prototype change
// of a young object at the next minor GC: measured with --trace-gc-nvp on a bare `node:http` server
// that does nothing else, every scavenge kept ~3 MB of such requests alive (none without the
// change), promoted them to the old generation, and took 3-5 ms instead of 0.2 ms. Node lets a
// server choose the classes it instantiates (`IncomingMessage` and `ServerResponse` options), so
// the objects can be created with Express's prototypes and Express's setPrototypeOf changes nothing.
//
// How they are created matters as much. V8 caches the shape ("map") of objects built for a
// `new.target` other than the constructor itself only when `new.target` is a derived class
// (`class ... extends`). With a plain function as `new.target` (Reflect.construct), every request
// and response got a map of its own: each of their ~30 properties was added by a missed inline
// cache and a map copy, and every function that touched them saw a new shape (~11% of the main
// thread at concurrency 1 in the enrichment benchmark, under `perf`). So the classes here are
// derived classes, and Express is handed their prototypes: each one takes what Express put on its
// own (`app`) and inherits from Express's request or response methods, exactly as `app.request`
// and `app.response` did.
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:http';
import type { Express } from 'express';

/** Makes `prototype` stand in for `expressObject`: the same own properties and the same parent. */
function adopt(prototype: object, expressObject: object): void {
  Object.setPrototypeOf(prototype, Object.getPrototypeOf(expressObject) as object | null);
  Object.defineProperties(prototype, Object.getOwnPropertyDescriptors(expressObject));
}

/** Call once per app, before it is mounted anywhere or serves a request. */
export function createExpressServer(app: Express): Server {
  class ExpressRequest extends IncomingMessage {}
  class ExpressResponse extends ServerResponse {}
  adopt(ExpressRequest.prototype, app.request);
  adopt(ExpressResponse.prototype, app.response);
  app.request = ExpressRequest.prototype as Express['request'];
  app.response = ExpressResponse.prototype as Express['response'];
  return createServer({ IncomingMessage: ExpressRequest, ServerResponse: ExpressResponse }, app);
}

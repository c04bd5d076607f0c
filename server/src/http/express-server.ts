// The HTTP server for the Express app, with requests and responses born with Express's prototypes.
//
// Express 5 gives every request and response a new prototype on arrival (`app.handle` calls
// Object.setPrototypeOf(req, app.request), and the same for res). V8 pays for a prototype change
// of a young object at the next minor GC: measured with --trace-gc-nvp on a bare `node:http` server
// that does nothing else, every scavenge kept ~3 MB of such requests alive (none without the
// change), promoted them to the old generation, and took 3-5 ms instead of 0.2 ms. Those pauses
// were the p99 of the enrichment benchmark at concurrency 1, and the copying a good part of the
// companion's CPU per request. Node lets a server choose the classes it instantiates
// (`IncomingMessage` and `ServerResponse` options); constructors whose prototypes are Express's
// own objects make Express's setPrototypeOf a change to the same prototype, which costs nothing.
// Express behaves exactly as before: the objects have the prototypes it would have given them.
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:http';
import type { Express } from 'express';

export function createExpressServer(app: Express): Server {
  // Plain functions (a class's `prototype` cannot be replaced); `new` returns the constructed object.
  function ExpressRequest(...args: ConstructorParameters<typeof IncomingMessage>): IncomingMessage {
    return Reflect.construct(IncomingMessage, args, ExpressRequest) as IncomingMessage;
  }
  ExpressRequest.prototype = app.request;
  function ExpressResponse(...args: ConstructorParameters<typeof ServerResponse>): ServerResponse {
    return Reflect.construct(ServerResponse, args, ExpressResponse) as ServerResponse;
  }
  ExpressResponse.prototype = app.response;
  return createServer(
    {
      IncomingMessage: ExpressRequest as unknown as typeof IncomingMessage,
      ServerResponse: ExpressResponse as unknown as typeof ServerResponse,
    },
    app,
  );
}

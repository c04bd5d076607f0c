// A loopback TCP relay on a fixed port: "the companion's address" that survives server restarts
// and can be switched off (refuses connections), turned into a black hole (accepts and holds
// connections without forwarding, so a request is in flight when the companion "goes away"), or
// made to swallow answers (the request reaches the companion, its answer is lost on the way back).
import { createServer, connect, type Server, type Socket } from 'node:net';

export class FixedPortRelay {
  private server: Server | null = null;
  private sockets = new Set<Socket>();
  port = 0;
  /**
   * `forward` relays to the target; `blackhole` accepts and holds every new connection; `swallow`
   * forwards requests but resets the connection as soon as the answer starts.
   */
  mode: 'forward' | 'blackhole' | 'swallow' = 'forward';
  /** Answers dropped in `swallow` mode. */
  swallowed = 0;

  /** Connections accepted and held in black-hole mode that are still open. */
  held(): number {
    let count = 0;
    for (const socket of this.sockets) if ((socket as Socket & { byokHeld?: boolean }).byokHeld) count += 1;
    return count;
  }

  async open(target: () => URL): Promise<void> {
    this.server = createServer((client) => {
      this.track(client);
      if (this.mode === 'blackhole') {
        (client as Socket & { byokHeld?: boolean }).byokHeld = true;
        // Read and drop what the client sends so that it believes the request went out.
        client.resume();
        return;
      }
      const url = target();
      const upstream = connect(Number(url.port), url.hostname);
      this.track(upstream);
      if (this.mode === 'swallow') {
        client.pipe(upstream);
        upstream.once('data', () => {
          this.swallowed += 1;
          client.destroy();
          upstream.destroy();
        });
        return;
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address && typeof address === 'object') this.port = address.port;
  }

  /** Stop listening and reset every open connection (the companion vanished). */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }
}

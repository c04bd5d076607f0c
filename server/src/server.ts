// Starts the companion for a given config: database, services, app, listening socket. Returns a
// handle whose close() stops accepting, waits for requests in flight (bounded), then closes the
// database. main.ts and the test server both use it.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApp } from './app';
import { createExpressServer } from './http/express-server';
import type { AppDeps, RouteMount } from './app';
import type { Config } from './config';
import type { Logger } from './logger';
import { claimDataDir } from './services/server-lock';
import { createServices } from './services/services';
import type { Services } from './services/services';
import { BackgroundCheckpoints } from './store/checkpointer';
import { openDatabase } from './store/db';
import type { Db } from './store/db';
import { serverVersion } from './version';

export const SHUTDOWN_GRACE_MS = 10_000;

export interface RunningServer {
  url: string;
  port: number;
  db: Db;
  services: Services;
  close(): Promise<void>;
}

export interface StartOptions {
  logger: Logger;
  mounts?: RouteMount[];
  rateLimits?: AppDeps['rateLimits'];
  largeBodyRoutes?: AppDeps['largeBodyRoutes'];
}

export async function startServer(config: Config, options: StartOptions): Promise<RunningServer> {
  // First: two companions on one data directory would each keep their own keys and counters.
  const lock = claimDataDir(config.dataDir);
  let db: Db;
  let services: Services;
  try {
    db = openDatabase(config.dataDir);
  } catch (error) {
    lock.release();
    throw error;
  }
  try {
    services = await createServices(config, db);
  } catch (error) {
    db.close();
    lock.release();
    throw error;
  }
  const app = createApp({
    config,
    db,
    logger: options.logger,
    services,
    version: serverVersion(),
    ...(options.mounts ? { mounts: options.mounts } : {}),
    ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
    ...(options.largeBodyRoutes ? { largeBodyRoutes: options.largeBodyRoutes } : {}),
  });
  const checkpoints = new BackgroundCheckpoints(db, options.logger);
  let server: Server;
  try {
    server = await new Promise((resolve, reject) => {
      const listening = createExpressServer(app);
      listening.once('error', reject);
      listening.listen(config.port, config.host, () => {
        listening.off('error', reject);
        resolve(listening);
      });
    });
  } catch (error) {
    await checkpoints.stop();
    db.close();
    lock.release();
    throw error;
  }
  server.headersTimeout = 30_000;
  server.requestTimeout = 120_000;
  services.start();
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    db,
    services,
    close() {
      closing ??= (async () => {
        services.stop();
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => {
            server.closeAllConnections();
            resolve();
          }, SHUTDOWN_GRACE_MS);
          force.unref();
          // Keep-alive sockets go idle as their last request finishes; close them as they do.
          const sweep = setInterval(() => server.closeIdleConnections(), 50);
          sweep.unref();
          server.close(() => {
            clearTimeout(force);
            clearInterval(sweep);
            resolve();
          });
          server.closeIdleConnections();
        });
        // The worker's connection goes first, so that ours is the last and its close is clean.
        await checkpoints.stop();
        try {
          // Writes queued by requests that ended with the grace period still get their commit.
          services.commits.drain();
          db.pragma('wal_checkpoint(TRUNCATE)');
        } finally {
          db.close();
          lock.release();
        }
      })();
      return closing;
    },
  };
}

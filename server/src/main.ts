// Composition root: config -> logger -> database and services -> listen; SIGTERM and SIGINT
// shut down cleanly (stop accepting, finish requests in flight up to 10 s, close the database).
import { loadConfig } from './config';
import { createLogger, exitAfterLogs } from './logger';
import { FEATURE_MOUNTS } from './mounts';
import { startServer } from './server';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.argv.slice(2), process.env);
  } catch (error) {
    console.error(error instanceof Error ? error.message : 'Invalid configuration');
    process.exit(2);
  }
  const logger = createLogger({ level: config.logLevel });
  const running = await startServer(config, { logger, mounts: [...FEATURE_MOUNTS] });
  logger.info({ url: running.url, dataDir: config.dataDir }, `listening on ${running.url}`);
  // The line is part of the start-up contract (API.md): printed even when the level hides info.
  if (!logger.isLevelEnabled('info')) process.stdout.write(`listening on ${running.url}\n`);
  // Lines are batched (logger.ts); whoever waits for this one should not wait for the batch.
  logger.flush();

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    running
      .close()
      .then(() => {
        logger.info('stopped');
        exitAfterLogs(logger, 0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        exitAfterLogs(logger, 1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('Failed to start:', error instanceof Error ? error.message : 'unknown error');
  process.exit(1);
});

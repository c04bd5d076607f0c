// Entry point of the admin CLI: `pnpm --filter @byok/server cli -- <command>` (see cli/README.md).
import { runCli } from './cli/program';
import { processIo } from './cli/output';

runCli(process.argv.slice(2), processIo)
  .then((code) => {
    process.exitCode = code;
  })
  .catch(() => {
    process.stderr.write('error: unexpected failure\n');
    process.exitCode = 1;
  });

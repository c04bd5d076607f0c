// How a CLI command runs: global options (--data-dir, --json, --org), one database context per
// command, and every failure turned into a message and a documented exit code.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { AppError } from '@byok/shared';
import { openCliContext } from './context';
import type { CliContext } from './context';
import { CliError, EXIT, exitCodeOf } from './exit-codes';
import { holdingDataDir } from './hold-data-dir';
import type { ExitCode } from './exit-codes';
import { Output } from './output';
import type { CliIo } from './output';
import { dataDirFrom } from '../config';

export interface GlobalOptions {
  dataDir?: string;
  json?: boolean;
  org?: string;
}

export type CommandBody = (context: CliContext, globals: GlobalOptions) => Promise<ExitCode | void> | ExitCode | void;

export class CliRuntime {
  exitCode: ExitCode = EXIT.ok;

  constructor(readonly io: CliIo) {}

  outputFor(command: Command): Output {
    return new Output(this.io, command.optsWithGlobals<GlobalOptions>().json === true);
  }

  dataDirOf(command: Command): string {
    // The server's own rule (config.ts), so that both open the same database.
    return resolve(dataDirFrom(command.optsWithGlobals<GlobalOptions>().dataDir ?? this.io.env['BYOK_DATA_DIR'], this.io.env));
  }

  /** Runs `body` with a database context for `command`, recording its exit code. */
  async run(command: Command, body: CommandBody): Promise<void> {
    await this.runWithoutDatabase(command, ({ dataDir, out }) => this.withContext(command, dataDir, out, body));
  }

  /**
   * As run, holding the data directory (hold-data-dir.ts) before the database is opened: a command
   * refused because a companion or a restore holds it must not create or open the database first.
   */
  async runHolding(command: Command, verb: 'rotate', body: CommandBody): Promise<void> {
    await this.runWithoutDatabase(command, ({ dataDir, out }) => holdingDataDir(dataDir, verb, () => this.withContext(command, dataDir, out, body)));
  }

  /** `body` with a database context for `dataDir`, closed once it is done. */
  private async withContext(command: Command, dataDir: string, out: Output, body: CommandBody): Promise<ExitCode | void> {
    const context = openCliContext(dataDir, this.io.env, out);
    try {
      return await body(context, command.optsWithGlobals<GlobalOptions>());
    } finally {
      context.close();
    }
  }

  /** Runs `body` without opening the database (`restore` replaces it), recording its exit code. */
  async runWithoutDatabase(command: Command, body: (bare: { dataDir: string; env: Record<string, string | undefined>; out: Output }) => Promise<ExitCode | void>): Promise<void> {
    const out = this.outputFor(command);
    try {
      this.exitCode = (await body({ dataDir: this.dataDirOf(command), env: this.io.env, out })) ?? EXIT.ok;
    } catch (error) {
      this.exitCode = this.report(out, error);
    }
  }

  report(out: Output, error: unknown): ExitCode {
    if (error instanceof CliError) {
      out.error(error.code, error.message);
      return error.exitCode;
    }
    if (error instanceof AppError) {
      out.error(error.code, error.message);
      return exitCodeOf(error);
    }
    // Unexpected: say what kind of thing failed, never a value that could be a secret.
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error && /^(SqliteError|BackupError|RestoreError|RotationSetupError|UnknownKekError)$/.test(name) ? error.message : 'unexpected failure';
    out.error('internal', `${name}: ${message}`);
    return EXIT.failure;
  }
}

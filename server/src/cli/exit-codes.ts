// Exit codes of the admin CLI (documented in cli/README.md). Scripts switch on these.
import type { AppError } from '@byok/shared';

export const EXIT = {
  ok: 0,
  /** Unexpected failure (a bug, or the database could not be opened). */
  failure: 1,
  /** Bad command line: unknown command or option, bad value, invalid JSON or policy. */
  usage: 2,
  /** The organization or member named does not exist. */
  notFound: 3,
  /** Refused by a rule: beyond the plan, last owner, concurrent change. */
  refused: 4,
  /** `audit verify`: a chain is broken. */
  auditBroken: 5,
  /** Data-directory files: a master key missing or not fitting, a backup that could not be written or restored. */
  dataFiles: 6,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI reports with its own message and exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly code = 'cli_error',
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function exitCodeOf(error: AppError): ExitCode {
  switch (error.code) {
    case 'bad_request':
      return EXIT.usage;
    case 'not_found':
      return EXIT.notFound;
    case 'plan_limit':
    case 'forbidden':
    case 'conflict':
    case 'provider_disabled':
      return EXIT.refused;
    default:
      return EXIT.failure;
  }
}

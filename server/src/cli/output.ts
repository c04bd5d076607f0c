// Where the CLI writes: injected so that tests run the program in-process and read what it said.
// With --json, results are one JSON document on stdout and errors one on stderr.
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
};

export class Output {
  constructor(
    private readonly io: CliIo,
    readonly json: boolean,
  ) {}

  /** A result: `data` as JSON with --json, else the human lines. */
  result(data: unknown, human: () => string[]): void {
    if (this.json) this.io.stdout(`${JSON.stringify(data, null, 2)}\n`);
    else this.io.stdout(`${human().join('\n')}\n`);
  }

  error(code: string, message: string): void {
    if (this.json) this.io.stderr(`${JSON.stringify({ error: { code, message } })}\n`);
    else this.io.stderr(`error: ${message}\n`);
  }

  note(message: string): void {
    // Notes are for people; JSON consumers get only the document.
    if (!this.json) this.io.stderr(`${message}\n`);
  }
}

// Parses request input with a zod schema and turns failures into 400 bad_request whose message
// names the field and the rule, never the value that was sent.
import { z } from 'zod';
import { AppError } from '@byok/shared';

function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((part) => (typeof part === 'number' ? `[${part}]` : String(part))).join('.').replace(/\.\[/g, '[');
}

/** One sentence per issue, naming fields only. Values are never echoed. */
export function describeIssues(error: z.ZodError, where: string): string {
  const parts = error.issues.slice(0, 5).map((issue) => {
    const field = fieldPath(issue.path);
    const at = field === '' ? where : `${field}`;
    switch (issue.code) {
      case 'unrecognized_keys':
        return `unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((key) => fieldPath([...issue.path, key])).join(', ')}`;
      case 'invalid_type':
        return issue.input === undefined ? `${at} is required` : `${at} must be ${issue.expected}`;
      case 'too_big':
        return `${at} is too long or too large`;
      case 'too_small':
        return `${at} is too short or too small`;
      case 'invalid_value':
        return `${at} has a value that is not allowed`;
      case 'invalid_format':
        return `${at} has the wrong format`;
      case 'custom':
        // Custom messages come from our own schemas and describe rules, not inputs.
        return `${at}: ${issue.message}`;
      default:
        return `${at} is invalid`;
    }
  });
  return `Invalid ${where}: ${parts.join('; ')}.`;
}

export function parseInput<Schema extends z.ZodType>(schema: Schema, input: unknown, where = 'body'): z.output<Schema> {
  const result = schema.safeParse(input);
  if (!result.success) throw new AppError('bad_request', describeIssues(result.error, where));
  return result.data;
}

/** For routes without a body: anything but an empty body is refused. */
export const EmptyBody = z.union([z.undefined(), z.strictObject({})]);

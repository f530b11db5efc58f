/** Configuration errors: one line that names the flag or the file's field path. */
import { ProxierError, type ErrorContext, type ValidationError } from '../errors.ts';

export class ConfigError extends ProxierError {
  /** A flag (`--ipvs-scheduler`), a config file field path (`ipvs.scheduler`), or `config` for the whole file. */
  readonly field: string;
  readonly value: unknown;

  /** `context.object` is the config file, when the value came from one; an undefined value is not shown. */
  constructor(field: string, value: unknown, reason: string, context: ErrorContext) {
    const shown = value === undefined ? '' : `: ${render(value)}`;
    super('ERR_CONFIG', `invalid ${field}${inFile(context)}${shown} (${oneLine(reason)})`, context);
    this.field = field;
    this.value = value;
  }

  /** `--config FILE` could not be read (ENOENT, EACCES, …). */
  static unreadable(path: string, error: unknown): ConfigError {
    const code = (error as { code?: unknown } | undefined)?.code;
    const reason = `cannot read the file${typeof code === 'string' ? `: ${code}` : ''}`;
    return new ConfigError('--config', path, reason, { operation: 'load configuration file', cause: error });
  }

  /** A shared validator's error (it names the field and value), placed in the file. */
  static fromValidation(error: ValidationError, file: string | undefined): ConfigError {
    return new ConfigError(error.field, error.value, error.reason, { operation: error.operation, object: file, cause: error });
  }
}

function inFile(context: Pick<ErrorContext, 'object'>): string {
  return context.object === undefined ? '' : ` in ${context.object}`;
}

/** Values are quoted as JSON, so an empty string or a stray space is visible; long ones are cut. */
function render(value: unknown): string {
  const text = value instanceof Date ? value.toISOString() : JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function oneLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? '';
}

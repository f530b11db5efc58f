import { constants } from 'node:os';

const errnoByCode = new Map<string, number>(Object.entries(constants.errno));

/**
 * Positive errno of a Node fs error. Node sets `errno` to the negated value (libuv) and `code` to
 * the symbolic name; the name is looked up in os.constants so both spellings agree.
 */
export function osErrno(err: unknown): number | undefined {
  if (!err || typeof err !== 'object' || !('code' in err) || typeof err.code !== 'string') return undefined;
  return errnoByCode.get(err.code);
}

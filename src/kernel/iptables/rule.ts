/** Validation of the pieces of an iptables rule before they reach a restore file. */
import { ValidationError } from '../../errors.ts';
import {
  parseAddress, parseCidr, parseComment, parseObjectName, parsePort, type Ctx,
} from '../../validate/validate.ts';
import { EXTENSION_TARGETS } from './text.ts';
import { TABLES, type IptablesFamily, type JumpRule, type Table } from './types.ts';

/** XT_EXTENSION_MAXNAMELEN (29) minus the NUL: iptables refuses longer chain names. */
export const MAX_CHAIN_NAME = 28;
/** IPSET_MAXNAMELEN (32) minus the NUL. */
const MAX_SET_NAME = 31;

export function parseTable(value: unknown, ctx: Ctx): Table {
  if (typeof value === 'string' && (TABLES as readonly string[]).includes(value)) return value as Table;
  throw new ValidationError('table', value, `must be one of ${TABLES.join(', ')}`, ctx);
}

export function parseChainName(value: unknown, ctx: Ctx, field = 'chain'): string {
  const name = parseObjectName(value, ctx, field, MAX_CHAIN_NAME);
  // parseObjectName also allows '.' and ':'; a ':' would be read as a chain line in restore input.
  if (!/^[A-Za-z0-9_-]+$/.test(name) || name.startsWith('-')) {
    throw new ValidationError(field, value, `must be 1..${MAX_CHAIN_NAME} characters of A-Z a-z 0-9 _ - not starting with -`, ctx);
  }
  return name;
}

/** The arguments of an ensured jump rule, in the order iptables-save prints them. */
export function jumpArgs(jump: JumpRule): string[] {
  return jump.comment === undefined
    ? ['-j', jump.target]
    : ['-m', 'comment', '--comment', jump.comment, '-j', jump.target];
}

/**
 * Options that start a new command: a rule argument carrying one would turn `-A X ...` into a
 * different command line, so they are refused inside rules.
 */
const COMMANDS = new Set([
  '-A', '--append', '-I', '--insert', '-D', '--delete', '-R', '--replace', '-X', '--delete-chain',
  '-N', '--new-chain', '-F', '--flush', '-P', '--policy', '-E', '--rename-chain', '-Z', '--zero',
  '-L', '--list', '-S', '--list-rules', '-C', '--check', '-t', '--table',
]);

type ValueCheck = (value: string, family: IptablesFamily, ctx: Ctx) => string;

const VALUE_CHECKS: ReadonlyMap<string, ValueCheck> = new Map<string, ValueCheck>([
  ['-s', parseHostOrNet], ['--source', parseHostOrNet], ['-d', parseHostOrNet], ['--destination', parseHostOrNet],
  ['--comment', (v, _f, ctx) => parseComment(v, ctx, 'comment')],
  ['--match-set', (v, _f, ctx) => parseObjectName(v, ctx, 'set', MAX_SET_NAME)],
  ['--dport', parsePortList], ['--sport', parsePortList], ['--dports', parsePortList], ['--sports', parsePortList],
  ['--destination-port', parsePortList], ['--source-port', parsePortList],
  ['-j', parseTarget], ['--jump', parseTarget], ['-g', parseTarget], ['--goto', parseTarget],
]);

/**
 * Validates every argument of a rule and returns the canonical arguments. Addresses are written
 * as iptables-save prints them (`10.96.0.1/32`), so saved rules compare equal to rendered ones.
 * `lenient` (for `-D` of rules copied verbatim from a save): only restore-safety is checked.
 */
export function parseRuleArgs(
  args: readonly string[], family: IptablesFamily, ctx: Ctx, options: { lenient?: boolean } = {},
): string[] {
  const list: readonly unknown[] = Array.isArray(args) ? args : [];
  if (list.length === 0) throw new ValidationError('rule', args, 'must be a non-empty argument array', ctx);
  if (options.lenient === true) return list.map((arg) => parseVerbatimArg(arg, ctx));
  const out: string[] = [];
  for (let i = 0; i < list.length; i++) {
    const arg = parseComment(nonEmpty(list[i], ctx), ctx, 'rule argument');
    if (COMMANDS.has(arg)) throw new ValidationError('rule argument', arg, 'a command option cannot appear inside a rule', ctx);
    out.push(arg);
    const check = VALUE_CHECKS.get(arg);
    if (check === undefined) continue;
    const value = list[i + 1];
    if (typeof value !== 'string') throw new ValidationError('rule argument', arg, 'option needs a value', ctx);
    out.push(check(value, family, ctx));
    i++;
  }
  return out;
}

function nonEmpty(arg: unknown, ctx: Ctx): string {
  if (typeof arg !== 'string' || arg.length === 0) throw new ValidationError('rule argument', arg, 'must be a non-empty string', ctx);
  return arg;
}

/** A rule copied from iptables-save: quotes are fine (quoteArg escapes them), line breaks are not. */
function parseVerbatimArg(arg: unknown, ctx: Ctx): string {
  const text = nonEmpty(arg, ctx);
  if (!/^[\x20-\x7e]+$/.test(text)) throw new ValidationError('rule argument', arg, 'must be printable ASCII', ctx);
  return text;
}

function parseHostOrNet(value: string, family: IptablesFamily, ctx: Ctx): string {
  if (value.includes('/')) {
    const { cidr, family: got } = parseCidr(value, ctx, 'address');
    if (got !== family) throw new ValidationError('address', value, `not an IPv${family} network`, ctx);
    return cidr;
  }
  const { address, family: got } = parseAddress(value, ctx, 'address');
  if (got !== family) throw new ValidationError('address', value, `not an IPv${family} address`, ctx);
  return `${address}/${family === 4 ? 32 : 128}`;
}

/** `80`, `30000:32767`, or a multiport list `80,443,8000:8080`. */
function parsePortList(value: string, _family: IptablesFamily, ctx: Ctx): string {
  for (const item of value.split(',')) {
    const range = item.split(':');
    if (range.length > 2) throw new ValidationError('port', value, 'must be PORT or FIRST:LAST', ctx);
    for (const part of range) parsePort(/^[0-9]{1,5}$/.test(part) ? Number(part) : part, ctx, 'port', true);
  }
  return value;
}

function parseTarget(value: string, _family: IptablesFamily, ctx: Ctx): string {
  if (EXTENSION_TARGETS.has(value)) return value;
  return parseChainName(value, ctx, 'target');
}

/**
 * The iptables-restore line syntax, shared by the renderer, the save parser and the fake.
 * Mirrors add_param_to_argv() in iptables/xshared.c: whitespace separates arguments, double
 * quotes group them, and a backslash takes the next character literally (iptables-save escapes
 * `"`, `'` and `\` inside quotes, see xtables_save_string()).
 */

/** Splits one restore/save line into arguments. Returns undefined on an unterminated quote. */
export function tokenizeLine(line: string): string[] | undefined {
  const args: string[] = [];
  let current = '';
  let inToken = false;
  let quoted = false;
  let escaped = false;
  for (const ch of line) {
    if (escaped) {
      current += ch;
      escaped = false;
    } else if (ch === '\\') {
      escaped = true;
      inToken = true;
    } else if (ch === '"') {
      quoted = !quoted;
      inToken = true;
    } else if (!quoted && (ch === ' ' || ch === '\t')) {
      if (inToken) args.push(current);
      current = '';
      inToken = false;
    } else {
      current += ch;
      inToken = true;
    }
  }
  if (quoted || escaped) return undefined;
  if (inToken) args.push(current);
  return args;
}

const SAFE = /^[A-Za-z0-9_.,:/!+=@%-]+$/;

/** One argument as restore input: bare when safe, else double-quoted with `"`, `'`, `\` escaped. */
export function quoteArg(arg: string): string {
  if (SAFE.test(arg)) return arg;
  return `"${arg.replace(/["'\\]/g, (c) => `\\${c}`)}"`;
}

export function renderArgs(args: readonly string[]): string {
  return args.map(quoteArg).join(' ');
}

/** Value of the first `-j`/`-g` (or long form) in a rule, i.e. where the rule jumps or goes. */
export function ruleTarget(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length - 1; i++) {
    const a = args[i];
    if (a === '-j' || a === '--jump' || a === '-g' || a === '--goto') return args[i + 1];
  }
  return undefined;
}

/** Every `--match-set NAME` in a rule. */
export function ruleSets(args: readonly string[]): string[] {
  const sets: string[] = [];
  for (let i = 0; i < args.length - 1; i++) {
    const next = args[i + 1];
    if (args[i] === '--match-set' && next !== undefined) sets.push(next);
  }
  return sets;
}

/**
 * Targets that are xtables extensions or verdicts, not chains. iptables resolves `-j NAME` to a
 * chain when one exists and otherwise loads libxt_NAME; we need the split to reject jumps to
 * chains that do not exist.
 */
export const EXTENSION_TARGETS: ReadonlySet<string> = new Set([
  'ACCEPT', 'DROP', 'RETURN', 'QUEUE', 'NFQUEUE', 'MARK', 'CONNMARK', 'MASQUERADE', 'SNAT', 'DNAT',
  'REDIRECT', 'REJECT', 'LOG', 'NFLOG', 'NOTRACK', 'CT', 'TCPMSS', 'CHECKSUM', 'TPROXY', 'SET',
  'TRACE', 'CLASSIFY', 'DSCP', 'TOS', 'TTL', 'HL', 'AUDIT', 'CONNSECMARK', 'SECMARK', 'NETMAP',
  'TEE', 'IDLETIMER', 'LED', 'SYNPROXY', 'HMARK', 'CLUSTERIP', 'ECN', 'RATEEST',
]);

/**
 * Parser of `ipset save` output (ipset 7.x):
 *   create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x…
 *   add KUBE-CLUSTER-IP 10.96.0.1,tcp:443
 *   create KUBE-NODE-PORT-TCP bitmap:port range 0-65535
 * Options without a value (comment, counters, skbinfo, forceadd) are flags; the rest are pairs.
 */
import type { IpFamily } from '../../validate/validate.ts';
import type { IpsetSetState, PortRange } from './types.ts';

const FLAG_OPTIONS = new Set(['comment', 'counters', 'skbinfo', 'forceadd']);

interface Draft {
  name: string;
  type: string;
  options: Map<string, string>;
  flags: Set<string>;
  members: string[];
}

export function parseSave(text: string): IpsetSetState[] {
  const drafts = new Map<string, Draft>();
  for (const line of text.split('\n')) {
    const tokens = line.trim().split(/\s+/);
    const [verb, name, third] = tokens;
    if (name === undefined || third === undefined) continue;
    if (verb === 'create') drafts.set(name, { name, type: third, ...parseOptions(tokens.slice(3)), members: [] });
    // An add line's element is one token; anything after it (comment "…", timeout) is entry options.
    if (verb === 'add') drafts.get(name)?.members.push(third);
  }
  return [...drafts.values()].map(toState).sort((a, b) => compare(a.name, b.name));
}

function parseOptions(tokens: readonly string[]): { options: Map<string, string>; flags: Set<string> } {
  const options = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    const key = tokens[i] ?? '';
    if (FLAG_OPTIONS.has(key)) {
      flags.add(key);
      continue;
    }
    options.set(key, tokens[i + 1] ?? '');
    i++;
  }
  return { options, flags };
}

function toState(draft: Draft): IpsetSetState {
  return {
    name: draft.name,
    type: draft.type,
    family: family(draft.options.get('family')),
    hashsize: integer(draft.options.get('hashsize')),
    maxelem: integer(draft.options.get('maxelem')),
    range: range(draft.options.get('range')),
    comment: draft.flags.has('comment'),
    members: draft.members.sort(compare),
  };
}

function family(value: string | undefined): IpFamily | undefined {
  if (value === 'inet') return 4;
  if (value === 'inet6') return 6;
  return undefined;
}

function integer(value: string | undefined): number | undefined {
  return value !== undefined && /^[0-9]+$/.test(value) ? Number(value) : undefined;
}

function range(value: string | undefined): PortRange | undefined {
  const match = value === undefined ? null : /^([0-9]+)-([0-9]+)$/.exec(value);
  if (match === null) return undefined;
  return { from: Number(match[1]), to: Number(match[2]) };
}

/** Plain code-unit order: the same in every locale, so real and fake listings compare equal. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Label and field selectors as the API server parses them (the subset kube-proxy and our tests
 * send): `key`, `!key`, `key=value`, `key==value`, `key!=value`, comma meaning AND. Anything else is
 * a 400, as a real server answers an unparsable selector.
 */

export type Selector = (labels: Readonly<Record<string, string>>) => boolean;

export class SelectorError extends Error {}

const KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

type Requirement = (values: Readonly<Record<string, string>>) => boolean;

function requirement(term: string, validKey: (key: string) => boolean): Requirement {
  const match = /^(!?)([^=!]+)(?:(==|=|!=)(.*))?$/.exec(term.trim());
  const [, not, rawKey, op, rawValue] = match ?? [];
  const key = rawKey?.trim() ?? '';
  if (match === null || !validKey(key)) throw new SelectorError(`invalid selector term ${JSON.stringify(term)}`);
  if (op === undefined) return not ? (v) => !(key in v) : (v) => key in v;
  const value = rawValue?.trim() ?? '';
  if (not || !VALUE.test(value)) throw new SelectorError(`invalid selector term ${JSON.stringify(term)}`);
  return op === '!=' ? (v) => v[key] !== value : (v) => v[key] === value;
}

function parse(text: string | null, validKey: (key: string) => boolean): Selector {
  if (text === null || text.trim() === '') return () => true;
  const requirements = text.split(',').map((term) => requirement(term, validKey));
  return (values) => requirements.every((r) => r(values));
}

export function parseLabelSelector(text: string | null): Selector {
  return parse(text, (key) => KEY.test(key));
}

/** Field selectors: the real server supports metadata.name and metadata.namespace on every resource. */
const FIELDS = new Set(['metadata.name', 'metadata.namespace']);

export function parseFieldSelector(text: string | null): Selector {
  return parse(text, (key) => {
    if (!FIELDS.has(key)) throw new SelectorError(`field label not supported: ${key}`);
    return true;
  });
}

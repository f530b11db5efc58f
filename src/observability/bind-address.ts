/**
 * `--healthz-bind-address` / `--metrics-bind-address` values, as kube-proxy takes them:
 * `0.0.0.0:10256`, `[::]:10256`, `127.0.0.1:0` (any free port: tests). A bare IP gets the
 * component's default port (kube-proxy's AppendPortIfNeeded). Only IP literals: kube-proxy
 * validates these as IP:port, and a hostname would make the listening address depend on DNS.
 */
import { ValidationError } from '../errors.ts';
import { parseAddress } from '../validate/validate.ts';

export interface BindAddress {
  /** IP literal without brackets. */
  readonly host: string;
  readonly port: number;
}

export const DEFAULT_HEALTHZ_BIND_ADDRESS = '0.0.0.0:10256';
export const DEFAULT_METRICS_BIND_ADDRESS = '127.0.0.1:10249';

export function parseBindAddress(text: string, defaultPort: number, field = 'bindAddress'): BindAddress {
  const fail = (reason: string): never => {
    throw new ValidationError(field, text, reason, { operation: 'parse bind address' });
  };
  const split = splitHostPort(text.trim());
  const host = validHost(split.host) ?? fail('host must be an IP address (IPv4 as four decimal octets)');
  if (split.port === undefined) return { host, port: defaultPort };
  if (!/^\d{1,5}$/.test(split.port) || Number(split.port) > 65535) fail('port must be 0..65535');
  return { host, port: Number(split.port) };
}

function validHost(host: string): string | undefined {
  try {
    return parseAddress(host, { operation: 'parse bind address' }).address;
  } catch (error) {
    if (error instanceof ValidationError) return undefined;
    throw error;
  }
}

function splitHostPort(text: string): { host: string; port: string | undefined } {
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    const rest = end < 0 ? '' : text.slice(end + 1);
    if (end < 0 || (rest !== '' && !rest.startsWith(':'))) return { host: '', port: undefined };
    return { host: text.slice(1, end), port: rest === '' ? undefined : rest.slice(1) };
  }
  // More than one colon and no brackets: a bare IPv6 address.
  const colons = text.split(':').length - 1;
  if (colons !== 1) return { host: text, port: undefined };
  const [host = '', port = ''] = text.split(':');
  return { host, port };
}

/** `host:port` for logs and errors, bracketing IPv6. */
export function formatBindAddress(address: BindAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/**
 * Bearer token read from a file, for kubeconfig users with `tokenFile:` (the spelling client-go and
 * kubeadm's kube-proxy kubeconfig use). The JavaScript client only knows `token-file` and silently
 * ignores `tokenFile`, which would send every request unauthenticated.
 *
 * Like client-go, the file is re-read periodically (projected service-account tokens rotate) and
 * surrounding whitespace is trimmed (a trailing newline would make an invalid header).
 */
import { readFile } from 'node:fs/promises';
import type { KubeConfig, User } from '@kubernetes/client-node';
import { realClock, type Clock } from '../../clock.ts';

export const TOKEN_FILE_PROVIDER = 'ipvs-proxier-token-file';
const REREAD_MS = 60_000;

type Authenticator = Parameters<KubeConfig['addAuthenticator']>[0];
type RequestOptions = Parameters<Authenticator['applyAuthentication']>[1];

export function tokenFileUser(name: string, path: string): User {
  return { name, authProvider: { name: TOKEN_FILE_PROVIDER, config: { path } } };
}

export class TokenFileAuthenticator implements Authenticator {
  private readonly cache = new Map<string, { token: string; readAt: number }>();
  private readonly clock: Clock;

  constructor(clock: Clock = realClock) {
    this.clock = clock;
  }

  isAuthProvider(user: User): boolean {
    return providerPath(user) !== undefined;
  }

  async applyAuthentication(user: User, opts: RequestOptions): Promise<void> {
    const path = providerPath(user);
    if (path === undefined) return;
    const token = await this.token(path);
    // The options type comes from isomorphic-ws typings that do not resolve here; both variants carry headers.
    const target = opts as { headers?: Record<string, unknown> };
    target.headers = { ...target.headers, Authorization: `Bearer ${token}` };
  }

  private async token(path: string): Promise<string> {
    const cached = this.cache.get(path);
    if (cached !== undefined && this.clock.now() - cached.readAt < REREAD_MS) return cached.token;
    const token = (await readFile(path, 'utf8')).trim();
    this.cache.set(path, { token, readAt: this.clock.now() });
    return token;
  }
}

function providerPath(user: User): string | undefined {
  const provider = user.authProvider as { name?: unknown; config?: { path?: unknown } } | undefined;
  return provider?.name === TOKEN_FILE_PROVIDER && typeof provider.config?.path === 'string' ? provider.config.path : undefined;
}

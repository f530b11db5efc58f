/**
 * Where the API server is and how to authenticate, resolved as kube-proxy does
 * (clientcmd.BuildConfigFromFlags): `--kubeconfig FILE` and/or `--master URL`; with neither, the
 * in-cluster service account. The client's own `loadFromDefault()` would silently fall back to
 * http://localhost:8080 — a proxier that quietly talks to nothing — so a missing configuration is
 * an error here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { KubeConfig, type Cluster, type User } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { realClock, type Clock } from '../../clock.ts';
import { ApiConfigError } from './errors.ts';
import { TokenFileAuthenticator, tokenFileUser } from './token-file-auth.ts';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface ApiConfigOptions {
  readonly kubeconfig?: string | undefined;
  /** Overrides the kubeconfig's server, as `--master` does. */
  readonly master?: string | undefined;
  readonly serviceAccountDir?: string;
  /** Paces re-reading a kubeconfig `tokenFile` (default: real time). */
  readonly clock?: Clock;
}

const OPERATION = 'load API server configuration';

export function loadApiConfig(options: ApiConfigOptions): KubeConfig {
  const kc = new KubeConfig();
  if (options.kubeconfig !== undefined) loadKubeconfig(kc, options.kubeconfig, options.clock ?? realClock);
  else if (options.master !== undefined) kc.loadFromClusterAndUser({ name: 'master', server: options.master, skipTLSVerify: false }, { name: 'anonymous' });
  else loadInCluster(kc, options);
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new ApiConfigError('the kubeconfig has no current context with a cluster', { operation: OPERATION, object: options.kubeconfig });
  replaceCluster(kc, cluster, withServer(cluster, options.master));
  return kc;
}

function loadInCluster(kc: KubeConfig, options: ApiConfigOptions): void {
  // loadFromCluster reads KUBERNETES_SERVICE_HOST/PORT from process.env itself, so detect with the same.
  const env = process.env;
  const dir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  if (!env['KUBERNETES_SERVICE_HOST'] || !env['KUBERNETES_SERVICE_PORT'] || !existsSync(join(dir, 'token'))) {
    throw new ApiConfigError(
      'no API server configured: pass --kubeconfig FILE or --master URL, or run in a pod with a service account '
        + `(KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT and ${join(dir, 'token')})`,
      { operation: OPERATION },
    );
  }
  // The prefix relocates the service-account files (tests).
  kc.loadFromCluster(dir === SERVICE_ACCOUNT_DIR ? '' : dir.slice(0, -SERVICE_ACCOUNT_DIR.length));
}

function loadKubeconfig(kc: KubeConfig, file: string, clock: Clock): void {
  let raw: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    raw = parse(text);
    kc.loadFromString(text);
  } catch (cause) {
    throw new ApiConfigError(`cannot load kubeconfig ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, { operation: OPERATION, object: file, cause });
  }
  kc.addAuthenticator(new TokenFileAuthenticator(clock));
  const tokenFiles = tokenFilesByUser(raw);
  const base = dirname(file);
  kc.users = kc.users.map((user) => {
    const path = tokenFiles.get(user.name);
    if (path === undefined || user.token) return user; // client-go: an inline token wins
    return { ...tokenFileUser(user.name, isAbsolute(path) ? path : join(base, path)), ...certificateOf(user) };
  });
  kc.clusters = kc.clusters.map((c) => (c.caFile === undefined || isAbsolute(c.caFile) ? c : { ...c, caFile: join(base, c.caFile) }));
}

function certificateOf(user: User): Partial<User> {
  const { certData, certFile, keyData, keyFile } = user;
  return { certData, certFile, keyData, keyFile };
}

function tokenFilesByUser(raw: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const users = (raw as { users?: unknown } | null)?.users;
  if (!Array.isArray(users)) return out;
  for (const entry of users as unknown[]) {
    const e = entry as { name?: unknown; user?: { tokenFile?: unknown } } | null;
    if (typeof e?.name === 'string' && typeof e.user?.tokenFile === 'string') out.set(e.name, e.user.tokenFile);
  }
  return out;
}

/** Applies --master, and checks the URL. Plain http has no TLS to verify, but the client refuses it unless told so. */
function withServer(cluster: Cluster, master: string | undefined): Cluster {
  const server = master ?? cluster.server;
  let url: URL;
  try {
    url = new URL(server);
  } catch (cause) {
    throw new ApiConfigError(`invalid API server URL ${JSON.stringify(server)}`, { operation: OPERATION, cause });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ApiConfigError(`API server URL must be http or https: ${JSON.stringify(server)}`, { operation: OPERATION });
  }
  return { ...cluster, server: server.replace(/\/+$/, ''), skipTLSVerify: url.protocol === 'http:' || cluster.skipTLSVerify };
}

function replaceCluster(kc: KubeConfig, old: Cluster, updated: Cluster): void {
  kc.clusters = kc.clusters.map((c) => (c === old ? updated : c));
}

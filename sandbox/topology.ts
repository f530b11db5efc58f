/**
 * A node-like network inside the sandbox: a bridge (`cbr0`, the pod network) in the sandbox's own
 * namespace, and "pods" as network namespaces wired to it by veth pairs with hairpin mode on (as
 * kubenet/bridge CNI do), so pod → service → same pod works once br_netfilter is loaded.
 * All addresses are sandbox-local.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { tool, toolQuiet } from './tools.ts';

export const POD_BRIDGE = 'cbr0';
export const POD_GATEWAY = '10.244.0.1';
export const POD_PREFIX = 24;

export interface Pod {
  readonly name: string;
  readonly ip: string;
  readonly hostVeth: string;
}

export function createPodNetwork(): void {
  toolQuiet('ip', 'link', 'del', POD_BRIDGE);
  tool('ip', 'link', 'add', POD_BRIDGE, 'type', 'bridge');
  tool('ip', 'addr', 'add', `${POD_GATEWAY}/${POD_PREFIX}`, 'dev', POD_BRIDGE);
  tool('ip', 'link', 'set', POD_BRIDGE, 'up');
}

export function createPod(name: string, ip: string): Pod {
  const hostVeth = `veth-${name}`.slice(0, 15);
  toolQuiet('ip', 'netns', 'del', name);
  tool('ip', 'netns', 'add', name);
  tool('ip', 'link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name);
  tool('ip', 'link', 'set', hostVeth, 'master', POD_BRIDGE);
  tool('ip', 'link', 'set', hostVeth, 'type', 'bridge_slave', 'hairpin', 'on');
  tool('ip', 'link', 'set', hostVeth, 'up');
  inPod(name, 'ip', 'addr', 'add', `${ip}/${POD_PREFIX}`, 'dev', 'eth0');
  inPod(name, 'ip', 'link', 'set', 'eth0', 'up');
  inPod(name, 'ip', 'link', 'set', 'lo', 'up');
  inPod(name, 'ip', 'route', 'add', 'default', 'via', POD_GATEWAY);
  return { name, ip, hostVeth };
}

export function deletePod(pod: Pod): void {
  toolQuiet('ip', 'netns', 'del', pod.name);
  toolQuiet('ip', 'link', 'del', pod.hostVeth);
}

export function deletePodNetwork(): void {
  toolQuiet('ip', 'link', 'del', POD_BRIDGE);
}

export interface PodNetwork {
  readonly pods: readonly Pod[];
  /** Stops the name servers and removes the pods and the bridge. */
  teardown(): void;
}

/**
 * A fresh pod network with one pod per spec, each answering HTTP on `port` with its own name.
 * If anything fails half-way, what was made is removed before the error is thrown.
 */
export async function startPodNetwork(specs: readonly { readonly name: string; readonly ip: string }[], port = 8080): Promise<PodNetwork> {
  const pods: Pod[] = [];
  const servers: ChildProcess[] = [];
  const teardown = (): void => {
    for (const s of servers) s.kill();
    for (const p of pods) deletePod(p);
    deletePodNetwork();
  };
  try {
    createPodNetwork();
    for (const spec of specs) pods.push(createPod(spec.name, spec.ip));
    const started = await Promise.allSettled(pods.map((p) => startNameServer(p.name, port)));
    for (const result of started) if (result.status === 'fulfilled') servers.push(result.value);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  } catch (error) {
    teardown();
    throw error;
  }
  return { pods, teardown };
}

/** Runs a tool inside a pod's namespace and returns stdout. */
export function inPod(pod: string, command: string, ...args: string[]): string {
  return tool('ip', 'netns', 'exec', pod, command, ...args);
}

// Listens on :: with ipv6Only off, so one server answers IPv4 and IPv6 clients.
const SERVER_SOURCE = `
const http = require('node:http');
const [name, port] = process.argv.slice(1);
// GET /source answers "name remoteAddress": the client address the pod sees (masqueraded or not).
http.createServer((req, res) => {
  res.setHeader('connection', 'close');
  const source = (req.socket.remoteAddress || '').replace(/^::ffff:/, '');
  res.end(req.url === '/source' ? name + ' ' + source + '\\n' : name + '\\n');
})
  .listen({ port: Number(port), host: '::', ipv6Only: false }, () => process.stdout.write('ready\\n'));
`;

/** Starts an HTTP server in the pod that answers every request with the pod's name. */
export async function startNameServer(pod: string, port: number): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', pod, process.execPath, '-e', SERVER_SOURCE, pod, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`name server in ${pod} exited with ${code}`)));
    child.stdout?.once('data', () => resolve());
  });
  child.removeAllListeners('exit');
  return child;
}

const CLIENT_SOURCE = `
const net = require('node:net');
const [host, port, count, timeout, path, localAddress] = process.argv.slice(1);
(async () => {
  const answers = [];
  for (let i = 0; i < Number(count); i++) {
    answers.push(await new Promise((resolve) => {
      let data = '';
      const s = net.connect({ host, port: Number(port), timeout: Number(timeout), ...(localAddress ? { localAddress } : {}) });
      s.on('connect', () => s.end('GET ' + path + ' HTTP/1.0\\r\\nHost: x\\r\\n\\r\\n'));
      s.on('data', (d) => { data += d; });
      s.on('end', () => resolve((data.split('\\r\\n\\r\\n')[1] || '').trim() || 'EMPTY'));
      s.on('timeout', () => { s.destroy(); resolve('TIMEOUT'); });
      s.on('error', (e) => resolve(e.code || 'ERROR'));
    }));
  }
  process.stdout.write(JSON.stringify(answers));
})();
`;

export interface HttpOptions {
  /** `/source`: the pod answers with its name and the client address it sees. */
  readonly path?: '/' | '/source';
  /** The client's source address (a namespace with several addresses). */
  readonly localAddress?: string;
}

/**
 * Makes `count` HTTP requests to host:port from a namespace (undefined: the sandbox's own, i.e. the
 * node) and returns each answer: a pod name, or TIMEOUT/ECONNREFUSED/… Each request is a new TCP
 * connection, so the IPVS scheduler picks again every time.
 */
export function httpFrom(namespace: string | undefined, host: string, port: number, count = 1, timeoutMs = 2000, options: HttpOptions = {}): string[] {
  const args = ['-e', CLIENT_SOURCE, host, String(port), String(count), String(timeoutMs), options.path ?? '/', options.localAddress ?? ''];
  const out = namespace === undefined ? tool(process.execPath, ...args) : inPod(namespace, process.execPath, ...args);
  return JSON.parse(out) as string[];
}

// Answers every datagram with the pod's name, to the sender (one server for IPv4 and IPv6).
const UDP_SERVER_SOURCE = `
const dgram = require('node:dgram');
const [name, port] = process.argv.slice(1);
const s = dgram.createSocket({ type: 'udp6', ipv6Only: false });
s.on('message', (_m, from) => s.send(name, from.port, from.address));
s.bind(Number(port), '::', () => process.stdout.write('ready\\n'));
`;

/** Starts a UDP server in the pod that answers each datagram with the pod's name. */
export async function startUdpNameServer(pod: string, port: number): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', pod, process.execPath, '-e', UDP_SERVER_SOURCE, pod, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`UDP name server in ${pod} exited with ${code}`)));
    child.stdout?.once('data', () => resolve());
  });
  child.removeAllListeners('exit');
  return child;
}

const UDP_CLIENT_SOURCE = `
const dgram = require('node:dgram');
const [host, port, count, timeout] = process.argv.slice(1);
(async () => {
  const answers = [];
  for (let i = 0; i < Number(count); i++) {
    answers.push(await new Promise((resolve) => {
      const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
      const timer = setTimeout(() => { s.close(); resolve('TIMEOUT'); }, Number(timeout));
      s.on('message', (m) => { clearTimeout(timer); s.close(); resolve(m.toString()); });
      s.on('error', (e) => { clearTimeout(timer); s.close(); resolve(e.code || 'ERROR'); });
      s.send('who', Number(port), host);
    }));
  }
  process.stdout.write(JSON.stringify(answers));
})();
`;

/** Sends `count` datagrams to host:port, each from a new socket (a new flow), and returns each answer or TIMEOUT. */
export function udpFrom(namespace: string | undefined, host: string, port: number, count = 1, timeoutMs = 2000): string[] {
  const args = ['-e', UDP_CLIENT_SOURCE, host, String(port), String(count), String(timeoutMs)];
  const out = namespace === undefined ? tool(process.execPath, ...args) : inPod(namespace, process.execPath, ...args);
  return JSON.parse(out) as string[];
}

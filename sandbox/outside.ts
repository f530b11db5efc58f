/**
 * The world outside the node, for NodePort, externalIP and LoadBalancer tests (issue 10), all on
 * sandbox-local addresses:
 *
 *   ext-client  198.51.100.10 + .11, fd00:198::10  ──veth──  node (the sandbox) 198.51.100.1, fd00:198::1
 *   node 192.0.2.1  ──veth──  node-b 192.0.2.2, bridge cbr1 10.244.1.1/24  ──  remote pods 10.244.1.x
 *
 * The client has two addresses so a source range can admit one and refuse the other. node-b is a
 * second node: a router with its own pod network, so an endpoint can be remote (its nodeName is
 * not ours) and a Local-policy service can have no local endpoint. Only the sandbox's own node runs
 * the proxier, as on a real cluster each node runs its own.
 */
import type { ChildProcess } from 'node:child_process';
import { startNameServer } from './topology.ts';
import { tool, toolQuiet } from './tools.ts';

export const CLIENT_NS = 'ext-client';
export const CLIENT_IPS = ['198.51.100.10', '198.51.100.11'] as const;
export const CLIENT_IP6 = 'fd00:198::10';
/** The node's address on the client network: a node IP for NodePorts. */
export const NODE_EXTERNAL_IP = '198.51.100.1';
export const NODE_EXTERNAL_IP6 = 'fd00:198::1';
export const REMOTE_NODE_NS = 'node-b';
export const REMOTE_POD_CIDR = '10.244.1.0/24';
const REMOTE_BRIDGE = 'cbr1';
const REMOTE_GATEWAY = '10.244.1.1';
const LINK_LOCAL_SIDE = '192.0.2.1';
const LINK_REMOTE_SIDE = '192.0.2.2';

export interface Outside {
  readonly remotePods: readonly { readonly name: string; readonly ip: string }[];
  teardown(): void;
}

/** Builds the client network and node-b with one HTTP name server per remote pod. */
export async function startOutside(remotePods: readonly { readonly name: string; readonly ip: string }[], port = 8080): Promise<Outside> {
  const servers: ChildProcess[] = [];
  const teardown = (): void => {
    for (const s of servers) s.kill();
    for (const p of remotePods) toolQuiet('ip', 'netns', 'del', p.name);
    toolQuiet('ip', 'netns', 'del', CLIENT_NS);
    toolQuiet('ip', 'netns', 'del', REMOTE_NODE_NS);
    toolQuiet('ip', 'link', 'del', 'veth-ext');
    toolQuiet('ip', 'link', 'del', 'veth-nodeb');
    toolQuiet('ip', 'route', 'del', REMOTE_POD_CIDR);
  };
  teardown();
  try {
    createClientNetwork();
    createRemoteNode();
    for (const pod of remotePods) createRemotePod(pod.name, pod.ip);
    for (const pod of remotePods) servers.push(await startNameServer(pod.name, port));
  } catch (error) {
    teardown();
    throw error;
  }
  return { remotePods, teardown };
}

function createClientNetwork(): void {
  tool('ip', 'netns', 'add', CLIENT_NS);
  tool('ip', 'link', 'add', 'veth-ext', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', CLIENT_NS);
  tool('ip', 'addr', 'add', `${NODE_EXTERNAL_IP}/24`, 'dev', 'veth-ext');
  // nodad: duplicate address detection would keep the IPv6 addresses tentative for a second or more.
  tool('ip', 'addr', 'add', `${NODE_EXTERNAL_IP6}/64`, 'dev', 'veth-ext', 'nodad');
  tool('ip', 'link', 'set', 'veth-ext', 'up');
  const inClient = (...args: string[]): string => tool('ip', '-n', CLIENT_NS, ...args);
  for (const ip of CLIENT_IPS) inClient('addr', 'add', `${ip}/24`, 'dev', 'eth0');
  inClient('addr', 'add', `${CLIENT_IP6}/64`, 'dev', 'eth0', 'nodad');
  inClient('link', 'set', 'eth0', 'up');
  inClient('link', 'set', 'lo', 'up');
  inClient('route', 'add', 'default', 'via', NODE_EXTERNAL_IP);
  inClient('-6', 'route', 'add', 'default', 'via', NODE_EXTERNAL_IP6);
}

function createRemoteNode(): void {
  tool('ip', 'netns', 'add', REMOTE_NODE_NS);
  tool('ip', 'link', 'add', 'veth-nodeb', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', REMOTE_NODE_NS);
  tool('ip', 'addr', 'add', `${LINK_LOCAL_SIDE}/30`, 'dev', 'veth-nodeb');
  tool('ip', 'link', 'set', 'veth-nodeb', 'up');
  tool('ip', 'route', 'add', REMOTE_POD_CIDR, 'via', LINK_REMOTE_SIDE);
  const inNode = (...args: string[]): string => tool('ip', '-n', REMOTE_NODE_NS, ...args);
  inNode('addr', 'add', `${LINK_REMOTE_SIDE}/30`, 'dev', 'eth0');
  inNode('link', 'set', 'eth0', 'up');
  inNode('link', 'set', 'lo', 'up');
  inNode('route', 'add', 'default', 'via', LINK_LOCAL_SIDE);
  inNode('link', 'add', REMOTE_BRIDGE, 'type', 'bridge');
  inNode('addr', 'add', `${REMOTE_GATEWAY}/24`, 'dev', REMOTE_BRIDGE);
  inNode('link', 'set', REMOTE_BRIDGE, 'up');
  tool('ip', 'netns', 'exec', REMOTE_NODE_NS, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
}

function createRemotePod(name: string, ip: string): void {
  const veth = `vb-${name}`.slice(0, 15);
  tool('ip', 'netns', 'add', name);
  tool('ip', 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name);
  tool('ip', 'link', 'set', veth, 'netns', REMOTE_NODE_NS);
  tool('ip', '-n', REMOTE_NODE_NS, 'link', 'set', veth, 'master', REMOTE_BRIDGE);
  tool('ip', '-n', REMOTE_NODE_NS, 'link', 'set', veth, 'up');
  const inPod = (...args: string[]): string => tool('ip', '-n', name, ...args);
  inPod('addr', 'add', `${ip}/24`, 'dev', 'eth0');
  inPod('link', 'set', 'eth0', 'up');
  inPod('link', 'set', 'lo', 'up');
  inPod('route', 'add', 'default', 'via', REMOTE_GATEWAY);
}

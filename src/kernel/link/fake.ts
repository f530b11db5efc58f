/**
 * In-memory Links that enforces what rtnetlink enforces: ENODEV for a missing link, EEXIST for a
 * duplicate link or address (with the kernel's per-family notion of "duplicate", see address.ts),
 * EADDRNOTAVAIL for deleting an address that is not there, per-message outcomes in a batch (the
 * kernel handles each message of a datagram on its own: a failed one does not undo the others).
 */
import { Errno, KernelError, ProxierError, type ErrorContext } from '../../errors.ts';
import { parseInterfaceName } from '../../validate/validate.ts';
import { addCollides, deleteMatches, describeAddress, parseInterfaceAddress } from './address.ts';
import type {
  AddressChangeFailure, AddressChanges, InterfaceAddress, LinkInfo, Links, LocalAddress,
} from './types.ts';

/** RT_SCOPE_* values. */
const SCOPE_UNIVERSE = 0;
const SCOPE_LINK = 253;
const SCOPE_HOST = 254;

export interface FakeAddress extends InterfaceAddress {
  readonly scope?: number;
}

export interface FakeLinkSpec {
  readonly name: string;
  readonly kind?: string;
  readonly up?: boolean;
  readonly addresses?: readonly FakeAddress[];
}

interface FakeLink {
  readonly info: LinkInfo;
  readonly addresses: Required<FakeAddress>[];
}

/** A fresh network namespace has only `lo` (DOWN in a new netns, but hosts always have it UP). */
const DEFAULT_LINKS: readonly FakeLinkSpec[] = [{
  name: 'lo',
  up: true,
  addresses: [
    { family: 4, address: '127.0.0.1', prefixLength: 8, scope: SCOPE_HOST },
    { family: 6, address: '::1', prefixLength: 128, scope: SCOPE_HOST },
  ],
}];

export class FakeLinks implements Links {
  readonly #links = new Map<string, FakeLink>();
  #nextIndex = 1;
  #closed = false;
  /** Number of changeAddresses calls (the real one sends each call as one batch). */
  batches = 0;

  constructor(links: readonly FakeLinkSpec[] = DEFAULT_LINKS) {
    for (const spec of links) this.#create(spec);
  }

  ensureDummy(name: string): Promise<LinkInfo> {
    return this.#async(() => {
      const ctx = { operation: 'link.ensureDummy', object: name };
      const existing = this.#links.get(parseInterfaceName(name, ctx));
      if (existing === undefined) return this.#create({ name, kind: 'dummy', up: false }).info;
      if (existing.info.kind !== 'dummy') throw new KernelError(Errno.EEXIST, ctx, `link exists with kind ${existing.info.kind ?? 'none'}`);
      return existing.info;
    });
  }

  getLink(name: string): Promise<LinkInfo | undefined> {
    return this.#async(() => this.#links.get(parseInterfaceName(name, { operation: 'link.get', object: name }))?.info);
  }

  deleteLink(name: string): Promise<void> {
    return this.#async(() => {
      const ctx = { operation: 'link.delete', object: name };
      // rtnl_delete_link: links without rtnl_link_ops (lo, physical NICs) cannot be deleted.
      if (this.#require(name, ctx).info.kind === undefined) throw new KernelError(Errno.EOPNOTSUPP, ctx);
      this.#links.delete(name);
    });
  }

  listAddresses(linkName: string): Promise<InterfaceAddress[]> {
    return this.#async(() => this.#require(linkName, { operation: 'link.listAddresses', object: linkName })
      .addresses.map(({ family, address, prefixLength }) => ({ family, address, prefixLength })));
  }

  changeAddresses(linkName: string, changes: AddressChanges): Promise<readonly AddressChangeFailure[]> {
    return this.#async(() => {
      const link = this.#require(linkName, { operation: 'link.changeAddresses', object: linkName });
      this.batches++;
      const failures: AddressChangeFailure[] = [];
      // Same order as the real implementation: deletes first, so a prefix change is delete + add.
      for (const address of changes.delete) this.#apply(link, 'delete', address, failures);
      for (const address of changes.add) this.#apply(link, 'add', address, failures);
      return failures;
    });
  }

  listLocalAddresses(): Promise<LocalAddress[]> {
    return this.#async(() => [...this.#links.values()].flatMap((link) => link.addresses.map((a) => ({
      ...a, linkIndex: link.info.index, linkName: link.info.name,
    }))));
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #apply(link: FakeLink, change: 'add' | 'delete', raw: InterfaceAddress, failures: AddressChangeFailure[]): void {
    const ctx = { operation: change === 'add' ? 'link.addAddress' : 'link.deleteAddress', object: `${describeAddress(raw)} dev ${link.info.name}` };
    try {
      const address = parseInterfaceAddress(raw, ctx);
      if (change === 'add') {
        if (link.addresses.some((a) => addCollides(a, address))) throw new KernelError(Errno.EEXIST, ctx);
        link.addresses.push({ ...address, scope: defaultScope(address) });
      } else {
        const at = link.addresses.findIndex((a) => deleteMatches(a, address));
        if (at < 0) throw new KernelError(Errno.EADDRNOTAVAIL, ctx);
        link.addresses.splice(at, 1);
      }
    } catch (error) {
      if (!(error instanceof ProxierError)) throw error;
      failures.push({ change, address: raw, error });
    }
  }

  #create(spec: FakeLinkSpec): FakeLink {
    const ctx = { operation: 'link.create', object: spec.name };
    const name = parseInterfaceName(spec.name, ctx);
    if (this.#links.has(name)) throw new KernelError(Errno.EEXIST, ctx);
    const link: FakeLink = {
      info: { index: this.#nextIndex++, name, kind: spec.kind, up: spec.up ?? false },
      addresses: (spec.addresses ?? []).map((a) => {
        const address = parseInterfaceAddress(a, ctx);
        return { ...address, scope: a.scope ?? defaultScope(address) };
      }),
    };
    this.#links.set(name, link);
    return link;
  }

  #require(name: string, ctx: Pick<ErrorContext, 'operation' | 'object'>): FakeLink {
    const link = this.#links.get(parseInterfaceName(name, ctx));
    if (link === undefined) throw new KernelError(Errno.ENODEV, ctx);
    return link;
  }

  /** Runs `fn` as an async kernel call: its throws become rejections; a closed handle refuses. */
  #async<T>(fn: () => T): Promise<T> {
    return Promise.resolve().then(() => {
      if (this.#closed) throw new ProxierError('ERR_NETLINK_CLOSED', 'links handle is closed', { operation: 'link' });
      return fn();
    });
  }
}

/**
 * The scope the kernel gives an address added through rtnetlink with ifa_scope 0: IPv4 keeps the
 * requested scope (universe), IPv6 derives it from the address (ipv6_addr_scope).
 */
function defaultScope(address: InterfaceAddress): number {
  if (address.family === 4) return SCOPE_UNIVERSE;
  if (address.address === '::1') return SCOPE_HOST;
  if (/^fe[89ab][0-9a-f]:/.test(address.address)) return SCOPE_LINK;
  return SCOPE_UNIVERSE;
}

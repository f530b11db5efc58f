/**
 * Links over rtnetlink (NETLINK_ROUTE), on the shared NetlinkSocket: no tool processes, and
 * address changes for thousands of services go out as a few datagrams (socket.batch).
 */
import { Errno, KernelError, ProxierError, isExists, isNotFound, type ErrorContext } from '../../errors.ts';
import { parseInterfaceName } from '../../validate/validate.ts';
import { NETLINK_ROUTE, NLM_F_CREATE, NLM_F_EXCL } from '../netlink/constants.ts';
import { NetlinkSocket, type NetlinkBatchMessage, type NetlinkSocketOptions } from '../netlink/socket.ts';
import { describeAddress, parseInterfaceAddress } from './address.ts';
import {
  AF_UNSPEC, IFF_UP, RTM_DELADDR, RTM_DELLINK, RTM_GETADDR, RTM_GETLINK, RTM_NEWADDR, RTM_NEWLINK,
  decodeAddress, decodeLink, encodeAddress, encodeIfinfomsg, encodeLinkByName, encodeNewLink, type DecodedAddress, type DecodedLink,
} from './codec.ts';
import type {
  AddressChangeFailure, AddressChanges, InterfaceAddress, LinkInfo, Links, LocalAddress,
} from './types.ts';

type Ctx = Pick<ErrorContext, 'operation' | 'object'>;

export class RtnetlinkLinks implements Links {
  #current: NetlinkSocket;
  readonly #reopen: (() => NetlinkSocket) | undefined;
  #closed = false;

  /** A socket that closes itself after a timeout or a lost reply is replaced on the next call. */
  static open(options?: NetlinkSocketOptions): RtnetlinkLinks {
    const open = (): NetlinkSocket => NetlinkSocket.open(NETLINK_ROUTE, options);
    return new RtnetlinkLinks(open(), open);
  }

  /** Takes ownership of `socket` (close() closes it); `reopen` replaces it once it has failed. */
  constructor(socket: NetlinkSocket, reopen?: () => NetlinkSocket) {
    this.#current = socket;
    this.#reopen = reopen;
  }

  get #socket(): NetlinkSocket {
    if (this.#current.closed && !this.#closed && this.#reopen !== undefined) this.#current = this.#reopen();
    return this.#current;
  }

  async ensureDummy(name: string): Promise<LinkInfo> {
    const ctx = { operation: 'link.ensureDummy', object: name };
    parseInterfaceName(name, ctx);
    const existing = await this.getLink(name);
    if (existing !== undefined) return adoptDummy(existing, ctx);
    try {
      // NLM_F_EXCL: never modify a link someone else created meanwhile. No IFF_UP: like upstream,
      // kube-ipvs0 stays DOWN; IPVS needs the addresses local, not the link up.
      await this.#socket.request({ type: RTM_NEWLINK, flags: NLM_F_CREATE | NLM_F_EXCL, payload: encodeNewLink(name, 'dummy') }, ctx);
    } catch (error) {
      if (!isExists(error)) throw error;
    }
    const created = await this.getLink(name);
    if (created === undefined) throw new KernelError(Errno.ENODEV, ctx, 'link vanished right after creation');
    return adoptDummy(created, ctx);
  }

  async getLink(name: string): Promise<LinkInfo | undefined> {
    const found = await this.#findLink(name, { operation: 'link.get', object: name });
    return found === undefined ? undefined : toLinkInfo(found);
  }

  async deleteLink(name: string): Promise<void> {
    const ctx = { operation: 'link.delete', object: name };
    await this.#socket.request({ type: RTM_DELLINK, payload: encodeLinkByName(parseInterfaceName(name, ctx)) }, ctx);
  }

  async listAddresses(linkName: string): Promise<InterfaceAddress[]> {
    const ctx = { operation: 'link.listAddresses', object: linkName };
    const link = await this.#requireLink(linkName, ctx);
    // Without NETLINK_GET_STRICT_CHK the kernel ignores ifa_index in a dump request: filter here.
    return (await this.#dumpAddresses(ctx))
      .filter((a) => a.index === link.index)
      .map(({ family, address, prefixLength }) => ({ family, address, prefixLength }));
  }

  async changeAddresses(linkName: string, changes: AddressChanges): Promise<readonly AddressChangeFailure[]> {
    const link = await this.#requireLink(linkName, { operation: 'link.changeAddresses', object: linkName });
    // Deletes first: replacing an address's prefix is a delete and an add of the same address.
    const ordered = [
      ...changes.delete.map((address) => ({ change: 'delete' as const, address })),
      ...changes.add.map((address) => ({ change: 'add' as const, address })),
    ];
    // One slot per change, in request order: a validation failure, or the index of its message.
    const slots: (AddressChangeFailure | number)[] = [];
    const messages: NetlinkBatchMessage[] = [];
    for (const { change, address } of ordered) {
      const context = { operation: change === 'add' ? 'link.addAddress' : 'link.deleteAddress', object: `${describeAddress(address)} dev ${link.name}` };
      try {
        const payload = encodeAddress(parseInterfaceAddress(address, context), link.index);
        slots.push(messages.length);
        messages.push(change === 'add'
          ? { type: RTM_NEWADDR, flags: NLM_F_CREATE | NLM_F_EXCL, payload, context }
          : { type: RTM_DELADDR, payload, context });
      } catch (error) {
        if (!(error instanceof ProxierError)) throw error;
        slots.push({ change, address, error });
      }
    }
    const outcomes = messages.length === 0 ? [] : await this.#socket.batch(messages);
    const failures: AddressChangeFailure[] = [];
    slots.forEach((slot, i) => {
      const item = ordered[i];
      if (typeof slot !== 'number') failures.push(slot);
      else if (outcomes[slot] !== undefined && item !== undefined) failures.push({ ...item, error: outcomes[slot] });
    });
    return failures;
  }

  async listLocalAddresses(): Promise<LocalAddress[]> {
    const ctx = { operation: 'link.listLocalAddresses' };
    const names = new Map((await this.#dumpLinks(ctx)).map((l) => [l.index, l.name]));
    const addresses = await this.#dumpAddresses(ctx);
    return addresses.map((a) => ({
      family: a.family,
      address: a.address,
      prefixLength: a.prefixLength,
      linkIndex: a.index,
      // A link created between the two dumps has no name yet: report its index.
      linkName: names.get(a.index) ?? `if${a.index}`,
      scope: a.scope,
    }));
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#current.close();
    return Promise.resolve();
  }

  /** Every address with its link index, scope and IFA_F_* flags (e.g. to spot IFA_F_TENTATIVE). */
  listAddressDetails(): Promise<DecodedAddress[]> {
    return this.#dumpAddresses({ operation: 'link.listAddressDetails' });
  }

  async #findLink(name: string, ctx: Ctx): Promise<DecodedLink | undefined> {
    const payload = encodeLinkByName(parseInterfaceName(name, ctx));
    try {
      const replies = await this.#socket.request({ type: RTM_GETLINK, payload }, ctx);
      const reply = replies[0];
      if (reply === undefined) throw new ProxierError('ERR_NETLINK_NO_REPLY', `RTM_GETLINK ${name} returned no link`, ctx);
      return decodeLink(reply);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async #requireLink(name: string, ctx: Ctx): Promise<DecodedLink> {
    const link = await this.#findLink(name, ctx);
    if (link === undefined) throw new KernelError(Errno.ENODEV, ctx);
    return link;
  }

  async #dumpLinks(ctx: Ctx): Promise<DecodedLink[]> {
    return (await this.#socket.dump({ type: RTM_GETLINK, payload: encodeIfinfomsg({}) }, ctx)).map(decodeLink);
  }

  async #dumpAddresses(ctx: Ctx): Promise<DecodedAddress[]> {
    // ifaddrmsg with AF_UNSPEC: every family's addresses in one dump (rtnl_dump_all).
    const request = Buffer.alloc(8);
    request.writeUInt8(AF_UNSPEC, 0);
    const replies = await this.#socket.dump({ type: RTM_GETADDR, payload: request }, ctx);
    return replies.map(decodeAddress).filter((a) => a !== undefined);
  }
}

function toLinkInfo(link: DecodedLink): LinkInfo {
  return { index: link.index, name: link.name, kind: link.kind, up: (link.flags & IFF_UP) !== 0 };
}

/** An existing link is only ours to use when it is a dummy; anything else is a conflict. */
function adoptDummy(link: LinkInfo, ctx: Ctx): LinkInfo {
  if (link.kind === 'dummy') return link;
  throw new KernelError(Errno.EEXIST, ctx, `a link of kind ${link.kind ?? 'none'} already has this name`);
}

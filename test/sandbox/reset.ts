/** Removes everything ipvs-proxier may have created in the sandbox kernel, so each test file starts clean. */
import { tokenizeLine } from '../../src/kernel/iptables/text.ts';
import { tool, toolQuiet } from './require-sandbox.ts';

export function resetProxierState(): void {
  toolQuiet('ipvsadm', '-C');
  toolQuiet('ip', 'link', 'del', 'kube-ipvs0');
  removeOurIptables([['iptables-legacy', 'iptables-legacy-save'], ['ip6tables-legacy', 'ip6tables-legacy-save']]);
  for (const name of safeTool('ipset', 'list', '-n').split('\n')) {
    if (name.startsWith('KUBE-')) toolQuiet('ipset', 'destroy', name);
  }
}

/** Our jump rules out of the built-in chains, then our chains flushed and deleted, per backend tool. */
export function removeOurIptables(tools: readonly (readonly [command: string, save: string])[]): void {
  for (const [cmd, save] of tools) {
    for (const table of ['nat', 'filter']) {
      const text = safeTool(save, '-t', table);
      for (const line of text.split('\n')) {
        if (!/^-A (PREROUTING|OUTPUT|POSTROUTING|INPUT|FORWARD) .* -j KUBE-[A-Z0-9-]+$/.test(line)) continue;
        // The saved rule, tokenized as iptables-restore would (quoted comments stay one argument).
        const args = tokenizeLine(line);
        if (args !== undefined) toolQuiet(cmd, '-t', table, '-D', ...args.slice(1));
      }
      const chains = text.split('\n').filter((l) => l.startsWith(':KUBE-')).map((l) => l.slice(1).split(' ')[0] ?? '');
      for (const c of chains) toolQuiet(cmd, '-t', table, '-F', c);
      for (const c of chains) toolQuiet(cmd, '-t', table, '-X', c);
    }
  }
}

function safeTool(command: string, ...args: string[]): string {
  try {
    return tool(command, ...args);
  } catch {
    return '';
  }
}

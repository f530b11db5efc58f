/**
 * Kernel parameters under /proc/sys. Names use the slash form upstream kube-proxy uses
 * (`net/ipv4/vs/conntrack`), which is also the path below /proc/sys: no dot/slash translation.
 */
export interface Sysctl {
  /** The value with the trailing newline removed (multi-value keys keep their tabs). */
  get(name: string): Promise<string>;
  set(name: string, value: string): Promise<void>;
}

/**
 * Which Services and EndpointSlices a kube-proxy-compatible proxy serves (cmd/kube-proxy/app/
 * server.go): not those labelled `service.kubernetes.io/service-proxy-name` (they belong to another
 * proxy, e.g. kube-router's DSR or a mesh) and not those labelled `service.kubernetes.io/headless`
 * (no virtual IP to program). The API source sends this as a label selector; the manifests source
 * applies the same rule itself, so both modes program the same objects.
 */
export const SERVICE_PROXY_NAME_LABEL = 'service.kubernetes.io/service-proxy-name';
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';

/** `!label` in a selector: the key is absent (an empty value still counts as present). */
export const PROXY_LABEL_SELECTOR = `!${SERVICE_PROXY_NAME_LABEL},!${HEADLESS_LABEL}`;

/** The selector above, for an object's `metadata.labels` (anything not an object has no labels). */
export function servedByThisProxy(labels: unknown): boolean {
  if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) return true;
  return !Object.hasOwn(labels, SERVICE_PROXY_NAME_LABEL) && !Object.hasOwn(labels, HEADLESS_LABEL);
}

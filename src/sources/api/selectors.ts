/**
 * What kube-proxy asks the API server for (cmd/kube-proxy/app/server.go): Services and
 * EndpointSlices without the service-proxy-name label (they belong to another proxy) and without
 * the headless label (no virtual IP to program), and only its own Node.
 */
export const SERVICE_PROXY_NAME_LABEL = 'service.kubernetes.io/service-proxy-name';
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';

export const PROXY_LABEL_SELECTOR = `!${SERVICE_PROXY_NAME_LABEL},!${HEADLESS_LABEL}`;

export function nodeFieldSelector(nodeName: string): string {
  return `metadata.name=${nodeName}`;
}

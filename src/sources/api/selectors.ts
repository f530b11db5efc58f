/** What kube-proxy asks the API server for: see ../proxy-labels.ts; and only its own Node. */
export { PROXY_LABEL_SELECTOR } from '../proxy-labels.ts';

export function nodeFieldSelector(nodeName: string): string {
  return `metadata.name=${nodeName}`;
}

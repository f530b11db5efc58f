// Runs loadSettings the way main.ts will, capturing what a user would see on a bad value.
import { CommanderError } from 'commander';
import { ConfigError } from '../../../src/config/errors.ts';
import { loadSettings, type LoadedSettings } from '../../../src/config/load.ts';

export interface Outcome {
  readonly loaded?: LoadedSettings;
  /** The one-line message the user sees: commander's stderr, or the ConfigError's message. */
  readonly printed?: string;
  readonly error?: CommanderError | ConfigError;
}

/** `file` is served as the contents of whatever `--config` names. */
export async function run(argv: readonly string[], file?: string): Promise<Outcome> {
  let stderr = '';
  const readFile = (path: string): Promise<string> => (file === undefined ? Promise.reject(Object.assign(new Error(`no ${path}`), { code: 'ENOENT' })) : Promise.resolve(file));
  try {
    return { loaded: await loadSettings(argv, { readFile, writeErr: (s) => { stderr += s; } }) };
  } catch (error) {
    if (error instanceof CommanderError) return { error, printed: stderr.trimEnd() };
    if (error instanceof ConfigError) return { error, printed: error.message };
    throw error;
  }
}

export const HEADER = 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n';

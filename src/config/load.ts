/**
 * The daemon's configuration, as kube-proxy builds it: `--config FILE` (a KubeProxyConfiguration),
 * then the flags given on the command line over it, then kube-proxy's defaults.
 *
 * Throws CommanderError for usage errors (commander has already printed them) and ConfigError
 * for bad values; both are one line, and main.ts exits without a stack trace.
 */
import { readFile } from 'node:fs/promises';
import { buildCommand, readConfigFile, resolveCommand } from '../cli/options.ts';
import { ConfigError } from './errors.ts';
import type { Settings } from './settings.ts';

export interface LoadedSettings {
  readonly settings: Settings;
  /** Flags and file fields that are accepted for compatibility but not acted on: log them. */
  readonly ignoredFields: string[];
  /** Config file fields KubeProxyConfiguration does not have: warn, keep going (as kube-proxy). */
  readonly unknownFields: readonly string[];
}

export interface LoadOptions {
  readonly readFile?: (path: string) => Promise<string>;
  /** Where commander prints usage errors (default: stderr). */
  readonly writeErr?: (text: string) => void;
}

export async function loadSettings(argv: readonly string[], options: LoadOptions = {}): Promise<LoadedSettings> {
  const command = buildCommand(options.writeErr).parse([...argv], { from: 'user' });
  const path = command.opts<{ config?: string }>().config;
  if (path === undefined) return resolveCommand(command, undefined);
  const read = options.readFile ?? ((p: string) => readFile(p, 'utf8'));
  let text: string;
  try {
    text = await read(path);
  } catch (error) {
    throw ConfigError.unreadable(path, error);
  }
  return resolveCommand(command, readConfigFile(path, text));
}

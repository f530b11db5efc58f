/**
 * ipvs-proxier's entry point: loads the settings (kube-proxy's config file and flags), then runs
 * `--cleanup`, the manifests source (no cluster) or the API source (cluster). Returns the exit status.
 */
import { CommanderError } from 'commander';
import { ConfigError } from '../config/errors.ts';
import { loadSettings, type LoadedSettings } from '../config/load.ts';
import { createLogger } from '../log.ts';
import { runCleanup } from './run-cleanup.ts';
import { runDaemon } from './run-daemon.ts';

export async function main(argv: readonly string[]): Promise<number> {
  let loaded: LoadedSettings;
  try {
    loaded = await loadSettings(argv);
  } catch (error) {
    // Commander has printed its usage error; ours is one line naming the field. No stack traces.
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof ConfigError) {
      process.stderr.write(`ipvs-proxier: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const { settings } = loaded;
  const logger = createLogger(settings.logLevel);
  if (loaded.unknownFields.length > 0) {
    logger.warn({ fields: loaded.unknownFields, file: settings.configFile }, 'unknown configuration fields ignored');
  }
  if (loaded.ignoredFields.length > 0) {
    logger.info({ fields: loaded.ignoredFields }, 'settings accepted for compatibility but not acted on');
  }
  try {
    return settings.cleanup ? await runCleanup(settings, logger) : await runDaemon(settings, logger);
  } catch (error) {
    // Startup failures (no kernel access, no API configuration, a port in use) end in one log line.
    const e = error as { code?: unknown; operation?: unknown; object?: unknown };
    logger.fatal({ err: error, code: e.code, operation: e.operation, object: e.object }, `ipvs-proxier cannot run: ${String(error)}`);
    return 1;
  }
}

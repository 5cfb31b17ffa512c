// Types of electron-builder.config.mjs for the TypeScript tests that evaluate it.
import type { Configuration } from 'electron-builder';
export declare function notarizeFromEnv(
  env?: NodeJS.ProcessEnv,
  log?: (s: string) => void,
): boolean;
export declare function builderConfig(
  env?: NodeJS.ProcessEnv,
  log?: (s: string) => void,
): Configuration;
declare const config: Configuration;
export default config;

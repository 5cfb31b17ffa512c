// Where the managed engine lives under ORCHARD_HOME/engine: one folder per version, the pointer to the
// one in use, half-made installs (.staging-*) and old folders waiting to go (.old-*), and the install lock.
import path from 'node:path';

export const ENGINE_FILE = 'engine.json';
export const MANIFEST_FILE = 'files.json';

export interface EngineLayout {
  root: string;
  current: string;
  lock: string;
  /** uv-managed Pythons, used only where the system has no suitable one. */
  pythons: string;
  version(v: string): string;
  staging(v: string): string;
  old(v: string): string;
}

export function engineLayout(dataDir: string): EngineLayout {
  const root = path.join(dataDir, 'engine');
  return {
    root,
    current: path.join(root, 'current.json'),
    lock: path.join(root, '.install.lock'),
    pythons: path.join(root, 'python'),
    version: (v) => path.join(root, v),
    staging: (v) => path.join(root, `.staging-${v}-${process.pid}`),
    old: (v) => path.join(root, `.old-${v}-${process.pid}`),
  };
}

/** A half-made install or an old folder left by an interrupted switch: safe to delete under the lock. */
export function isLeftover(name: string): boolean {
  return name.startsWith('.staging-') || name.startsWith('.old-') || name.endsWith('.tmp');
}

export function venvPython(dir: string, platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32'
    ? path.join(dir, 'Scripts', 'python.exe')
    : path.join(dir, 'bin', 'python');
}

/** The hash-locked requirements of a platform (MLX with Metal on macOS, mlx[cpu] on Linux). */
export function lockName(platform: NodeJS.Platform): string {
  if (platform === 'darwin') return 'requirements-macos.txt';
  if (platform === 'linux') return 'requirements-linux.txt';
  throw new Error(`no engine lock for ${platform}: MLX runs on macOS (Apple silicon) and Linux`);
}

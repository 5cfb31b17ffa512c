// What an engine install is made from: the uv binary (from its PyPI wheel), the sidecar as a built wheel
// and the platform's hash-locked requirements. The packaged app ships them in resources/engine; a
// checkout stages the same set under node_modules/.cache/orchard-engine, keyed by what goes into it.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CoreError } from '../errors/index.ts';
import { lockName } from './layout.ts';
import { runTool } from './proc.ts';

/** uv, pinned: the binary comes from this version's wheel on PyPI. */
export const UV_VERSION = '0.13.9';
export const LOCKS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'locks');

const ResourcesFile = z.object({
  version: z.string().min(1),
  uvVersion: z.string(),
  wheel: z.string().min(1),
  requirements: z.string().min(1),
  platform: z.string(),
});

export interface EngineResources {
  dir: string;
  /** The engine version these make: app version + hash of lock, sidecar sources and uv. */
  version: string;
  uv: string;
  wheel: string;
  requirements: string;
}

export function readResources(dir: string): EngineResources {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(path.join(dir, 'engine.json'), 'utf8'));
  } catch (e) {
    throw new CoreError(
      'not_found',
      `the engine's resources are missing in ${dir}: ${(e as Error).message}`,
    );
  }
  const r = ResourcesFile.parse(raw);
  const uv = path.join(dir, process.platform === 'win32' ? 'uv.exe' : 'uv');
  return {
    dir,
    version: r.version,
    uv,
    wheel: path.join(dir, r.wheel),
    requirements: path.join(dir, r.requirements),
  };
}

function sidecarSources(repoRoot: string): string[] {
  const dir = path.join(repoRoot, 'inference-sidecar');
  const pkg = path.join(dir, 'orchard_sidecar');
  const files = fs
    .readdirSync(pkg, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !e.parentPath.includes('__pycache__') && !e.name.endsWith('.pyc'))
    .map((e) => path.join(e.parentPath, e.name));
  return [path.join(dir, 'pyproject.toml'), ...files.sort()];
}

/** The engine version a checkout (or a package built from it) expects on `platform`. */
export function engineVersion(
  repoRoot: string,
  appVersion: string,
  platform: NodeJS.Platform = process.platform,
): string {
  const h = createHash('sha256');
  h.update(UV_VERSION);
  h.update(fs.readFileSync(path.join(LOCKS_DIR, lockName(platform))));
  for (const f of sidecarSources(repoRoot)) {
    h.update(path.relative(repoRoot, f));
    h.update(fs.readFileSync(f));
  }
  return `${appVersion}-${h.digest('hex').slice(0, 10)}`;
}

/** pip's platform tag for uv's wheel, when packaging for another platform than this one. */
function uvWheelPlatform(platform: NodeJS.Platform, arch: string): string | null {
  if (platform === process.platform && arch === process.arch) return null;
  if (platform === 'darwin') return arch === 'arm64' ? 'macosx_11_0_arm64' : 'macosx_10_12_x86_64';
  if (platform === 'linux')
    return arch === 'arm64' ? 'manylinux_2_17_aarch64' : 'manylinux_2_17_x86_64';
  throw new CoreError('usage', `no uv wheel for ${platform}-${arch}`);
}

const EXTRACT_UV = `
import sys, zipfile, os
whl, out, name = sys.argv[1], sys.argv[2], sys.argv[3]
with zipfile.ZipFile(whl) as z:
    member = next(n for n in z.namelist() if n.endswith('.data/scripts/' + name))
    with z.open(member) as src, open(out, 'wb') as dst:
        dst.write(src.read())
os.chmod(out, 0o755)
`;

export interface StageOptions {
  repoRoot: string;
  appVersion: string;
  /** A Python with pip: downloads uv's wheel and builds the sidecar's. */
  python: string;
  out: string;
  platform?: NodeJS.Platform;
  arch?: string;
  onLine?: (line: string) => void;
}

/** Lays out uv, the sidecar wheel, the lock and engine.json in `out` (made whole, then renamed in). */
export async function stageResources(o: StageOptions): Promise<EngineResources> {
  const platform = o.platform ?? process.platform;
  const arch = o.arch ?? process.arch;
  const work = `${o.out}.${process.pid}.tmp`;
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(path.join(work, 'download'), { recursive: true });
  try {
    const tag = uvWheelPlatform(platform, arch);
    await runTool(
      o.python,
      [
        '-m',
        'pip',
        'download',
        '--disable-pip-version-check',
        '--no-deps',
        '--only-binary=:all:',
        ...(tag ? ['--platform', tag] : []),
        '-d',
        path.join(work, 'download'),
        `uv==${UV_VERSION}`,
      ],
      { onLine: o.onLine },
    );
    const whl = fs.readdirSync(path.join(work, 'download')).find((f) => f.endsWith('.whl'));
    if (!whl) throw new CoreError('internal', 'pip downloaded no uv wheel');
    const uvName = platform === 'win32' ? 'uv.exe' : 'uv';
    await runTool(o.python, [
      '-c',
      EXTRACT_UV,
      path.join(work, 'download', whl),
      path.join(work, uvName),
      uvName,
    ]);
    // The wheel is built from a copy, so the build leaves nothing in the source tree.
    const src = path.join(work, 'src');
    const sidecar = path.join(o.repoRoot, 'inference-sidecar');
    fs.mkdirSync(src);
    for (const f of ['pyproject.toml', 'README.md'])
      if (fs.existsSync(path.join(sidecar, f)))
        fs.copyFileSync(path.join(sidecar, f), path.join(src, f));
    fs.cpSync(path.join(sidecar, 'orchard_sidecar'), path.join(src, 'orchard_sidecar'), {
      recursive: true,
      filter: (p) => !p.includes('__pycache__') && !p.endsWith('.pyc'),
    });
    await runTool(
      o.python,
      ['-m', 'pip', 'wheel', '--disable-pip-version-check', '--no-deps', '-w', work, src],
      { onLine: o.onLine },
    );
    const wheel = fs.readdirSync(work).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new CoreError('internal', 'pip built no sidecar wheel');
    fs.rmSync(src, { recursive: true, force: true });
    fs.rmSync(path.join(work, 'download'), { recursive: true, force: true });
    fs.copyFileSync(path.join(LOCKS_DIR, lockName(platform)), path.join(work, 'requirements.txt'));
    const version = engineVersion(o.repoRoot, o.appVersion, platform);
    fs.writeFileSync(
      path.join(work, 'engine.json'),
      `${JSON.stringify({ version, uvVersion: UV_VERSION, wheel, requirements: 'requirements.txt', platform: `${platform}-${arch}` }, null, 2)}\n`,
    );
    fs.rmSync(o.out, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(o.out), { recursive: true });
    fs.renameSync(work, o.out);
    return readResources(o.out);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** A checkout's resources, staged once per engine version under node_modules/.cache. */
export async function checkoutResources(o: {
  repoRoot: string;
  appVersion: string;
  python: string;
  onLine?: (line: string) => void;
}): Promise<EngineResources> {
  const version = engineVersion(o.repoRoot, o.appVersion);
  const base = path.join(o.repoRoot, 'node_modules', '.cache', 'orchard-engine');
  const out = path.join(base, version);
  if (fs.existsSync(path.join(out, 'engine.json'))) return readResources(out);
  const staged = await stageResources({ ...o, out });
  // Resources of earlier sources are of no further use (their engines are outdated).
  for (const name of fs.readdirSync(base))
    if (name !== version) fs.rmSync(path.join(base, name), { recursive: true, force: true });
  return staged;
}

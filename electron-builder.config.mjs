// electron-builder's configuration: macOS arm64 dmg+zip (hardened runtime, notarized only when Apple
// credentials are in the environment), Linux AppImage+deb for x64 and arm64. What goes into app.asar is
// listed explicitly; the engine's resources (uv, sidecar wheel, lock) ride along as extra resources.

/** Notarization needs an Apple ID (or API key) in the environment; without one it is skipped, said once. */
export function notarizeFromEnv(env = process.env, log = console.log) {
  const appleId = env.APPLE_ID && env.APPLE_APP_SPECIFIC_PASSWORD && env.APPLE_TEAM_ID;
  const apiKey = env.APPLE_API_KEY && env.APPLE_API_KEY_ID && env.APPLE_API_ISSUER;
  if (appleId || apiKey) return true;
  if (process.platform === 'darwin')
    log(
      'notarization: skipped (set APPLE_ID, APPLE_APP_SPECIFIC_PASSWORD and APPLE_TEAM_ID, or APPLE_API_KEY, APPLE_API_KEY_ID and APPLE_API_ISSUER)',
    );
  return false;
}

/** @returns {import('electron-builder').Configuration} */
export function builderConfig(env = process.env, log = console.log) {
  return {
    appId: 'dev.orchard.desktop',
    productName: 'Orchard',
    copyright: 'Copyright © 2026 Orchard contributors',
    directories: { output: 'dist', buildResources: 'resources' },
    // The app itself: the three built bundles and package.json. node_modules' production dependencies
    // are added by electron-builder; nothing else of the checkout is listed, so nothing else goes in.
    files: [
      'package.json',
      'out/main/**/*',
      'out/preload/**/*',
      'out/renderer/**/*',
      '!**/*.map',
      '!**/{test,tests,__tests__,__snapshots__,fixtures,e2e,bench,.venv,.cache}/**',
      '!**/*.snap',
      '!**/*.{test,spec}.{js,ts,mjs,cjs}',
      '!**/*.{md,markdown,d.ts,ts,map}',
    ],
    extraResources: [
      { from: 'build/engine', to: 'engine', filter: ['**/*'] },
      { from: 'resources/tray', to: 'tray', filter: ['*.png'] },
    ],
    asar: true,
    // Native addons cannot load from inside an archive.
    asarUnpack: ['**/*.node'],
    // better-sqlite3 is rebuilt for Electron's ABI by electron-builder's own step (@electron/rebuild).
    npmRebuild: true,
    nodeGypRebuild: false,
    buildDependenciesFromSource: false,
    mac: {
      target: [
        { target: 'dmg', arch: ['arm64'] },
        { target: 'zip', arch: ['arm64'] },
      ],
      category: 'public.app-category.developer-tools',
      icon: 'resources/icon.icns',
      hardenedRuntime: true,
      gatekeeperAssess: false,
      entitlements: 'resources/entitlements.mac.plist',
      entitlementsInherit: 'resources/entitlements.mac.plist',
      // MLX's oldest wheels need macOS 14 (the engine's lock pins them).
      minimumSystemVersion: '14.0',
      notarize: notarizeFromEnv(env, log),
    },
    dmg: { artifactName: '${productName}-${version}-${arch}.${ext}' },
    linux: {
      target: [
        { target: 'AppImage', arch: ['x64', 'arm64'] },
        { target: 'deb', arch: ['x64', 'arm64'] },
      ],
      category: 'Development',
      icon: 'resources/icons',
      maintainer: 'Orchard contributors <orchard@users.noreply.github.com>',
      synopsis: 'Download, run and serve local MLX models',
      executableName: 'orchard',
      artifactName: '${productName}-${version}-${arch}.${ext}',
    },
    deb: { depends: ['libopenblas0-pthread | libopenblas0'] },
    publish: null,
  };
}

export default builderConfig();

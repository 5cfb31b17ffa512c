// The sidecar's test-only load brake (orchard_sidecar/load_progress.py): a pause before each tensor of
// one model's load, so a journey sees its percentage rise however fast the disk. Never set by the app.
export const SLOW_LOAD_ENV = 'ORCHARD_TEST_SLOW_LOAD';

/** The environment that slows the loads of `model` by `msPerTensor` for each of its weights. */
export function slowLoadEnv(model: string, msPerTensor: number): Record<string, string> {
  return { [SLOW_LOAD_ENV]: `${model}=${Math.round(msPerTensor)}` };
}

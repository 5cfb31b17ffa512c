// Model names as Ollama clients spell them, mapped onto Orchard's: repo ids, aliases and profiles as they are,
// a ':latest' tag and an 'hf.co/' prefix dropped, and Hub repo ids (with a revision as the tag) for pulls.
import { GatewayError } from '../errors.ts';

const HUB_PREFIX = /^(?:https?:\/\/)?(?:hf\.co|huggingface\.co)\//i;
const LATEST = ':latest';

/**
 * The Orchard name a client's name stands for: itself when Orchard knows it, else without an 'hf.co/'
 * prefix and a ':latest' tag when that is known; else itself (routing then answers "not found").
 */
export function resolveName(name: string, known: ReadonlySet<string>): string {
  if (known.has(name)) return name;
  const bare = name.replace(HUB_PREFIX, '');
  for (const candidate of [bare, bare.endsWith(LATEST) ? bare.slice(0, -LATEST.length) : null]) {
    if (candidate && known.has(candidate)) return candidate;
  }
  return name;
}

/**
 * What `/api/pull` fetches: a Hub repo id, optionally prefixed 'hf.co/', with an optional ':tag' read as the
 * Hub revision (branch, tag or commit; ':latest' is 'main'). Ollama library names ("llama3.2") have no
 * Hub repo, so they are refused with the form that works.
 */
export function pullTarget(name: string): { repoId: string; revision: string } {
  const bare = name.replace(HUB_PREFIX, '');
  const colon = bare.lastIndexOf(':');
  const repoId = colon > bare.indexOf('/') && colon >= 0 ? bare.slice(0, colon) : bare;
  const tag = repoId === bare ? 'latest' : bare.slice(colon + 1);
  if (!/^[\w.-]+\/[\w.-]+$/.test(repoId))
    throw new GatewayError(
      400,
      'invalid_model_name',
      `Orchard pulls models from the Hugging Face Hub: name a repo id such as 'mlx-community/Qwen3-0.6B-4bit' (optionally ':revision'), not '${name}'`,
      'model',
    );
  return { repoId, revision: tag === 'latest' || tag === '' ? 'main' : tag };
}

// Provider presets for the Routing screen: each cloud API (or a server on the network) with its base URL and
// wire format filled in. Plain data; the model list is then fetched from the provider's own /models.

export interface ProviderPreset {
  id: string;
  label: string;
  /** The provider's name as stored (the user may change it). */
  name: string;
  format: 'openai' | 'anthropic';
  baseUrl: string;
  /** Whether its API refuses calls without a key. */
  needsKey: boolean;
  /** Where the key comes from, or what to change in the URL. */
  hint: string;
}

export const PROVIDER_PRESETS: readonly ProviderPreset[] = [
  {
    id: 'openai',
    label: 'OpenAI',
    name: 'openai',
    format: 'openai',
    baseUrl: 'https://api.openai.com/v1',
    needsKey: true,
    hint: 'Key from platform.openai.com/api-keys',
  },
  {
    id: 'anthropic',
    label: 'Anthropic',
    name: 'anthropic',
    format: 'anthropic',
    baseUrl: 'https://api.anthropic.com/v1',
    needsKey: true,
    hint: 'Key from console.anthropic.com',
  },
  {
    id: 'openrouter',
    label: 'OpenRouter',
    name: 'openrouter',
    format: 'openai',
    baseUrl: 'https://openrouter.ai/api/v1',
    needsKey: true,
    hint: 'Key from openrouter.ai/keys',
  },
  {
    id: 'groq',
    label: 'Groq',
    name: 'groq',
    format: 'openai',
    baseUrl: 'https://api.groq.com/openai/v1',
    needsKey: true,
    hint: 'Key from console.groq.com/keys',
  },
  {
    id: 'together',
    label: 'Together',
    name: 'together',
    format: 'openai',
    baseUrl: 'https://api.together.xyz/v1',
    needsKey: true,
    hint: 'Key from api.together.ai/settings/api-keys',
  },
  {
    id: 'mistral',
    label: 'Mistral',
    name: 'mistral',
    format: 'openai',
    baseUrl: 'https://api.mistral.ai/v1',
    needsKey: true,
    hint: 'Key from console.mistral.ai/api-keys',
  },
  {
    id: 'gemini',
    label: 'Google Gemini (OpenAI-compatible)',
    name: 'gemini',
    format: 'openai',
    baseUrl: 'https://generativelanguage.googleapis.com/v1beta/openai',
    needsKey: true,
    hint: 'Key from aistudio.google.com/apikey',
  },
  {
    id: 'deepseek',
    label: 'DeepSeek',
    name: 'deepseek',
    format: 'openai',
    baseUrl: 'https://api.deepseek.com/v1',
    needsKey: true,
    hint: 'Key from platform.deepseek.com/api_keys',
  },
  {
    id: 'network',
    label: 'Another Orchard / LM Studio / Ollama on the network',
    name: 'lan',
    format: 'openai',
    baseUrl: 'http://192.168.1.2:8765/v1',
    needsKey: false,
    hint: 'Put in its address; ports: Orchard 8765, LM Studio 1234, Ollama 11434 (all end in /v1)',
  },
];

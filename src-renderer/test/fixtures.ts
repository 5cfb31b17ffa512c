// Records as core sends them, with plausible defaults, for the renderer's unit tests; a test overrides
// only the fields its case is about.
import type { EventPayload, MethodResult } from './fakeCore.ts';

type Sidecar = EventPayload<'sidecarState'>;
type LocalModel = MethodResult<'models.list'>[number];
type Profile = MethodResult<'profiles.list'>[number];
type Download = MethodResult<'downloads.list'>[number];
type LibraryModel = MethodResult<'library.list'>[number];
type MemoryStatus = MethodResult<'memory.status'>;
type Conversation = MethodResult<'conversations.list'>[number];
type ChatMessage = MethodResult<'conversations.messages'>[number];
type McpServer = MethodResult<'mcp.list'>[number];

const T0 = 1_700_000_000_000;

export function sidecar(over: Partial<Sidecar> = {}): Sidecar {
  return {
    state: 'ready',
    pid: 4242,
    port: 9911,
    recentCrashes: 0,
    inFlight: 0,
    lastError: null,
    stderrTail: [],
    ...over,
  };
}

export function status(over: Partial<MethodResult<'app.status'>> = {}): MethodResult<'app.status'> {
  return {
    version: '0.1.0',
    dataDir: '/tmp/orchard',
    apiBaseUrl: 'http://127.0.0.1:8765/v1',
    sidecar: sidecar(),
    notices: [],
    ...over,
  };
}

export function localModel(id: string, over: Partial<LocalModel> = {}): LocalModel {
  return {
    id,
    sizeBytes: 100_000_000,
    loaded: false,
    footprintBytes: null,
    pinned: false,
    idleSeconds: null,
    ...over,
  };
}

export function profile(id: string, over: Partial<Profile> = {}): Profile {
  return {
    id,
    name: `profile ${id}`,
    model: 'org/model',
    params: {},
    isDefault: false,
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

export function download(id: string, over: Partial<Download> = {}): Download {
  return {
    id,
    repoId: `org/${id}`,
    revision: 'main',
    commitSha: null,
    status: 'running',
    totalBytes: 1000,
    doneBytes: 0,
    error: null,
    speedBps: 0,
    etaSeconds: null,
    retrying: null,
    createdAt: T0,
    updatedAt: T0,
    files: [],
    ...over,
  };
}

export function libraryModel(repoId: string, over: Partial<LibraryModel> = {}): LibraryModel {
  return {
    repoId,
    source: 'hf-cache',
    path: `/cache/models--${repoId.replace('/', '--')}`,
    revision: 'main',
    sizeBytes: 2 * 1024 ** 3,
    files: 4,
    kind: 'text',
    capabilities: ['completion'],
    modelType: 'llama',
    architectures: ['LlamaForCausalLM'],
    quantization: null,
    lastUsedAt: null,
    loaded: false,
    ...over,
  };
}

export function memoryStatus(over: Partial<MemoryStatus> = {}): MemoryStatus {
  return {
    limitBytes: 8 * 1024 ** 3,
    activeBytes: 1024 ** 3,
    systemBytes: 16 * 1024 ** 3,
    models: [],
    ...over,
  };
}

export function conversation(id: string, over: Partial<Conversation> = {}): Conversation {
  return { id, title: 'Untitled chat', profileId: null, createdAt: T0, updatedAt: T0, ...over };
}

export function message(
  id: number,
  conversationId: string,
  over: Partial<ChatMessage> = {},
): ChatMessage {
  return {
    id,
    conversationId,
    role: 'user',
    content: `message ${id}`,
    reasoning: null,
    meta: null,
    createdAt: T0 + id,
    ...over,
  };
}

/** A running stdio MCP server with one tool, set to ask before each call. */
export function mcpServer(over: Partial<McpServer> = {}): McpServer {
  return {
    id: 's1',
    name: 'everything',
    transport: 'stdio',
    command: 'node',
    args: [],
    url: null,
    envKeys: [],
    headerKeys: [],
    permission: 'ask',
    enabled: true,
    timeoutMs: 60_000,
    state: 'running',
    error: null,
    toolCount: 1,
    ...over,
  };
}

// The typed API between the UI (or CLI) and core: the table of every RPC method's zod input and
// output, and the event streams. Each area's schemas live in the file named after it.
import type { z } from 'zod';
import { appEvents, appMethods } from './app.ts';
import { auditMethods } from './audit.ts';
import { configFileMethods } from './configFile.ts';
import { conversationEvents, conversationMethods } from './conversations.ts';
import { downloadEvents, downloadMethods } from './downloads.ts';
import { engineEvents, engineMethods } from './engine.ts';
import { hubMethods } from './hub.ts';
import { integrationMethods } from './integrations.ts';
import { ggufImportMethods, libraryMethods } from './library.ts';
import { mcpEvents, mcpMethods } from './mcp.ts';
import { memoryEvents, memoryMethods } from './memory.ts';
import { profileMethods } from './profiles.ts';
import { providerMethods } from './providers.ts';
import { routingMethods } from './routing.ts';
import { settingsMethods } from './settings.ts';

export const contract = {
  ...appMethods,
  ...profileMethods,
  ...memoryMethods,
  ...configFileMethods,
  ...conversationMethods,
  ...settingsMethods,
  ...ggufImportMethods,
  ...routingMethods,
  ...providerMethods,
  ...auditMethods,
  ...hubMethods,
  ...downloadMethods,
  ...libraryMethods,
  ...integrationMethods,
  ...engineMethods,
  ...mcpMethods,
} as const;

export type Contract = typeof contract;
export type MethodName = keyof Contract;
export type MethodInput<M extends MethodName> = z.input<Contract[M]['input']>;
export type MethodParams<M extends MethodName> = z.output<Contract[M]['input']>;
export type MethodResult<M extends MethodName> = z.output<Contract[M]['output']>;

export const events = {
  ...appEvents,
  ...memoryEvents,
  ...downloadEvents,
  ...conversationEvents,
  ...engineEvents,
  ...mcpEvents,
} as const;
export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.infer<Events[E]>;

// Public surface of the conversations area: the playground's chat history, its store and RPC handlers.
// The composition root builds the store (app/stores.ts) and spreads the handlers into the dispatcher.
export {
  conversationsStore,
  type ConversationRow,
  type ConversationsStore,
  type MessageRow,
  type Role,
} from './store.ts';
export {
  conversationHandlers,
  type ConversationHandlerDeps,
  type ConversationHandlers,
} from './handlers.ts';

// Public surface of the rpc area: the validating dispatcher and the WebSocket transport (the
// contract they carry is #shared/contract).
export { createDispatcher, type Dispatcher, type Handlers, type CallResult } from './dispatcher.ts';
export { createRpcServer, type RpcServer } from './ws.ts';
export { connectRpc, type RpcClient } from './client.ts';

// The fuzz kit for the public surfaces of core: seeded generators of hostile HTTP requests and RPC frames,
// the raw client that sends them, the rules their answers must keep, and the well-formed streams beside them.
export { caseSeed, mulberry32, Rng } from './prng.ts';
export { CANARY } from './values.ts';
export { ENDPOINTS, httpCases, type HttpCase, type HttpCaseOptions } from './httpCases.ts';
export { sendRaw, type RawResult } from './rawHttp.ts';
export { describeCase, expectedShape, failureClass, judgeHttp, shapeProblem } from './oracle.ts';
export {
  describeRpcCase,
  READ_ONLY_METHODS,
  rpcCases,
  runRpcCase,
  type RpcCase,
} from './rpcCases.ts';
export { runStream, wellFormedStreams, type StreamSpec } from './streams.ts';

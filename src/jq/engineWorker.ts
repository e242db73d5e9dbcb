/** jq thread: runs JqEngine requests (check, run) for RemoteJqEngine, so a slow or endless jq program never stalls the listener. */
import { parentPort } from 'node:worker_threads';
import { JqCompileError, JqEngine, type JqArgs } from './engine.js';

/** A request from RemoteJqEngine. */
export type JqRequest =
  | { readonly id: number; readonly op: 'check'; readonly program: string; readonly args?: JqArgs }
  | { readonly id: number; readonly op: 'run'; readonly program: string; readonly inputs: readonly string[]; readonly args?: JqArgs };

const engine = JqEngine.load();

parentPort?.on('message', (request: JqRequest) => {
  void engine.then(async (jq) => {
    try {
      if (request.op === 'check') {
        jq.check(request.program, request.args);
        parentPort!.postMessage({ id: request.id, ok: true });
      } else {
        parentPort!.postMessage({ id: request.id, ok: true, outcomes: await jq.run(request.program, request.inputs, request.args) });
      }
    } catch (error) {
      parentPort!.postMessage({ id: request.id, ok: false, compile: error instanceof JqCompileError, message: (error as Error).message });
    }
  });
});

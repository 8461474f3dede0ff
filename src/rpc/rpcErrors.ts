import * as grpc from '@grpc/grpc-js';

/** Told of every call a service answered with an error status: the method's full path and the code. */
export type RpcErrorCount = (path: string, code: grpc.status) => void;

type Callback = (err: Partial<grpc.ServiceError> | null, ...rest: unknown[]) => void;
type StreamCall = { on(event: 'error', fn: (err: Partial<grpc.ServiceError>) => void): unknown };

function codeOf(err: Partial<grpc.ServiceError>): grpc.status {
  return typeof err.code === 'number' ? err.code : grpc.status.UNKNOWN;
}

/**
 * The service's handlers, each reporting the status of every call it fails: a unary (or
 * client-streaming) call through its callback, a streaming one through the 'error' its handler
 * emits. Like access control it wraps the handlers rather than installing a grpc-js server
 * interceptor, so the per-message path of a stream carries nothing extra.
 */
export function countingErrors(
  definition: grpc.ServiceDefinition,
  handlers: grpc.UntypedServiceImplementation,
  count: RpcErrorCount,
): grpc.UntypedServiceImplementation {
  const out: grpc.UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(handlers)) {
    const method = definition[name];
    if (!method) throw new Error(`handler ${name} has no method in the service definition`);
    const path = method.path;
    if (method.responseStream) {
      const h = handler as (call: StreamCall) => void;
      out[name] = ((call: StreamCall) => {
        call.on('error', (err) => count(path, codeOf(err)));
        h(call);
      }) as grpc.UntypedHandleCall;
      continue;
    }
    const h = handler as (call: unknown, cb: Callback) => void;
    out[name] = ((call: unknown, cb: Callback) =>
      h(call, (err, ...rest) => {
        if (err) count(path, codeOf(err));
        cb(err, ...rest);
      })) as grpc.UntypedHandleCall;
  }
  return out;
}

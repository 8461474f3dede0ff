import * as grpc from '@grpc/grpc-js';
import { LIMITS } from '../protocol/limits.js';
import { channelCredentials, type TlsMaterial } from './credentials.js';

/**
 * How this process proves who it is when it calls a node: TLS material (the cluster CA to trust,
 * and our certificate when we have one) and/or a bearer token. Every channel dtx opens — client,
 * CLI, node to node, launcher — is made from one of these.
 */
export interface DialSecurity {
  tls: TlsMaterial | null;
  token: string | null;
}

/** Plaintext, no token: a loopback cluster in open mode (what `dtx cluster up` and the tests run). */
export const PLAINTEXT: DialSecurity = { tls: null, token: null };

/** The metadata key a bearer token travels in (as HTTP's Authorization header). */
export const AUTHORIZATION = 'authorization';

/**
 * Adds the bearer token to every call's metadata. An interceptor rather than call credentials:
 * grpc-js refuses call credentials on a plaintext channel, and a token over loopback plaintext
 * is a legitimate set-up (a single-machine cluster with roles).
 */
function tokenInterceptor(token: string): grpc.Interceptor {
  const value = `Bearer ${token}`;
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set(AUTHORIZATION, value);
        next(metadata, listener);
      },
    });
}

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': LIMITS.maxMessageBytes,
  // Reconnect quickly after a peer restarts: recovery tests kill nodes on purpose.
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1000,
  'grpc.enable_retries': 0,
};

/** The credentials and options of a channel; `expectNodeId`: the server must hold that node's certificate. */
export function dialWith(
  sec: DialSecurity,
  opts: { interceptors?: grpc.Interceptor[]; expectNodeId?: string; channel?: grpc.ChannelOptions } = {},
): { credentials: grpc.ChannelCredentials; options: grpc.ChannelOptions } {
  const interceptors = [...(sec.token !== null ? [tokenInterceptor(sec.token)] : []), ...(opts.interceptors ?? [])];
  return {
    credentials: channelCredentials(sec.tls, opts.expectNodeId !== undefined ? { expectNodeId: opts.expectNodeId } : {}),
    options: { ...CHANNEL_OPTIONS, ...opts.channel, interceptors },
  };
}

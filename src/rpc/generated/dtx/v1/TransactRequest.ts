// Original file: dtx/v1/coordinator.proto

import type { Op as _dtx_v1_Op, Op__Output as _dtx_v1_Op__Output } from '../../dtx/v1/Op.js';
import type { Protocol as _dtx_v1_Protocol, Protocol__Output as _dtx_v1_Protocol__Output } from '../../dtx/v1/Protocol.js';
import type { Long } from '@grpc/proto-loader';

export interface TransactRequest {
  'txnId'?: (string);
  'ops'?: (_dtx_v1_Op)[];
  'protocol'?: (_dtx_v1_Protocol);
  'timeoutMs'?: (number);
  'firstAttemptMs'?: (number | string | Long);
  'requestId'?: (number | string | Long);
  'forwarded'?: (boolean);
  'traceparent'?: (string);
  'tracestate'?: (string);
}

export interface TransactRequest__Output {
  'txnId': (string);
  'ops': (_dtx_v1_Op__Output)[];
  'protocol': (_dtx_v1_Protocol__Output);
  'timeoutMs': (number);
  'firstAttemptMs': (string);
  'requestId': (string);
  'forwarded': (boolean);
  'traceparent': (string);
  'tracestate': (string);
}

// Original file: dtx/v1/participant.proto

import type { Op as _dtx_v1_Op, Op__Output as _dtx_v1_Op__Output } from '../../dtx/v1/Op.js';
import type { Protocol as _dtx_v1_Protocol, Protocol__Output as _dtx_v1_Protocol__Output } from '../../dtx/v1/Protocol.js';
import type { Long } from '@grpc/proto-loader';

export interface PrepareRequest {
  'txnId'?: (string);
  'coordinatorId'?: (string);
  'coordinatorAddr'?: (string);
  'ops'?: (_dtx_v1_Op)[];
  'participants'?: (string)[];
  'protocol'?: (_dtx_v1_Protocol);
  'ageMs'?: (number | string | Long);
  'lockWaitMs'?: (number);
  'participantAddrs'?: (string)[];
  'opIndexes'?: (number)[];
  'opCount'?: (number);
  'traceparent'?: (string);
  'bornMs'?: (number | string | Long);
}

export interface PrepareRequest__Output {
  'txnId': (string);
  'coordinatorId': (string);
  'coordinatorAddr': (string);
  'ops': (_dtx_v1_Op__Output)[];
  'participants': (string)[];
  'protocol': (_dtx_v1_Protocol__Output);
  'ageMs': (string);
  'lockWaitMs': (number);
  'participantAddrs': (string)[];
  'opIndexes': (number)[];
  'opCount': (number);
  'traceparent': (string);
  'bornMs': (string);
}

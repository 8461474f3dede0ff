// Original file: dtx/v1/admin.proto

import type { Peer as _dtx_v1_Peer, Peer__Output as _dtx_v1_Peer__Output } from '../../dtx/v1/Peer.js';
import type { Counter as _dtx_v1_Counter, Counter__Output as _dtx_v1_Counter__Output } from '../../dtx/v1/Counter.js';
import type { InDoubtTxn as _dtx_v1_InDoubtTxn, InDoubtTxn__Output as _dtx_v1_InDoubtTxn__Output } from '../../dtx/v1/InDoubtTxn.js';
import type { Long } from '@grpc/proto-loader';

export interface StatusResponse {
  'nodeId'?: (string);
  'role'?: (string);
  'address'?: (string);
  'peers'?: (_dtx_v1_Peer)[];
  'inDoubt'?: (string)[];
  'counters'?: (_dtx_v1_Counter)[];
  'uptimeMs'?: (number | string | Long);
  'pid'?: (number);
  'dataDir'?: (string);
  'inDoubtOwners'?: (_dtx_v1_InDoubtTxn)[];
}

export interface StatusResponse__Output {
  'nodeId': (string);
  'role': (string);
  'address': (string);
  'peers': (_dtx_v1_Peer__Output)[];
  'inDoubt': (string)[];
  'counters': (_dtx_v1_Counter__Output)[];
  'uptimeMs': (string);
  'pid': (number);
  'dataDir': (string);
  'inDoubtOwners': (_dtx_v1_InDoubtTxn__Output)[];
}

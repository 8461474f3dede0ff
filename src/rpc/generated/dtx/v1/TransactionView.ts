// Original file: dtx/v1/admin.proto

import type { TxnVote as _dtx_v1_TxnVote, TxnVote__Output as _dtx_v1_TxnVote__Output } from '../../dtx/v1/TxnVote.js';
import type { TxnRecord as _dtx_v1_TxnRecord, TxnRecord__Output as _dtx_v1_TxnRecord__Output } from '../../dtx/v1/TxnRecord.js';
import type { Long } from '@grpc/proto-loader';

export interface TransactionView {
  'txnId'?: (string);
  'nodeId'?: (string);
  'role'?: (string);
  'known'?: (boolean);
  'phase'?: (string);
  'protocol'?: (string);
  'coordinator'?: (string);
  'participants'?: (string)[];
  'ageMs'?: (number | string | Long);
  'votes'?: (_dtx_v1_TxnVote)[];
  'decision'?: (string);
  'heuristic'?: (boolean);
  'heuristicBy'?: (string);
  'locksHeld'?: (string)[];
  'waitsFor'?: (string)[];
  'blockedBy'?: (string);
  'records'?: (_dtx_v1_TxnRecord)[];
}

export interface TransactionView__Output {
  'txnId': (string);
  'nodeId': (string);
  'role': (string);
  'known': (boolean);
  'phase': (string);
  'protocol': (string);
  'coordinator': (string);
  'participants': (string)[];
  'ageMs': (string);
  'votes': (_dtx_v1_TxnVote__Output)[];
  'decision': (string);
  'heuristic': (boolean);
  'heuristicBy': (string);
  'locksHeld': (string)[];
  'waitsFor': (string)[];
  'blockedBy': (string);
  'records': (_dtx_v1_TxnRecord__Output)[];
}

// Original file: dtx/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface AuditEntry {
  'atMs'?: (number | string | Long);
  'nodeId'?: (string);
  'actor'?: (string);
  'action'?: (string);
  'target'?: (string);
  'reason'?: (string);
  'result'?: (string);
}

export interface AuditEntry__Output {
  'atMs': (string);
  'nodeId': (string);
  'actor': (string);
  'action': (string);
  'target': (string);
  'reason': (string);
  'result': (string);
}

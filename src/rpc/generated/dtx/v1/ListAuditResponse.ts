// Original file: dtx/v1/admin.proto

import type { AuditEntry as _dtx_v1_AuditEntry, AuditEntry__Output as _dtx_v1_AuditEntry__Output } from '../../dtx/v1/AuditEntry.js';

export interface ListAuditResponse {
  'entries'?: (_dtx_v1_AuditEntry)[];
}

export interface ListAuditResponse__Output {
  'entries': (_dtx_v1_AuditEntry__Output)[];
}

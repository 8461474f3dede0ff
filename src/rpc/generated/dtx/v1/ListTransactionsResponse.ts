// Original file: dtx/v1/admin.proto

import type { TransactionView as _dtx_v1_TransactionView, TransactionView__Output as _dtx_v1_TransactionView__Output } from '../../dtx/v1/TransactionView.js';

export interface ListTransactionsResponse {
  'txns'?: (_dtx_v1_TransactionView)[];
  'total'?: (number);
}

export interface ListTransactionsResponse__Output {
  'txns': (_dtx_v1_TransactionView__Output)[];
  'total': (number);
}

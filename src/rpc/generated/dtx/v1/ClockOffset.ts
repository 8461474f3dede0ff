// Original file: dtx/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface ClockOffset {
  'offsetMs'?: (number | string | Long);
}

export interface ClockOffset__Output {
  'offsetMs': (string);
}

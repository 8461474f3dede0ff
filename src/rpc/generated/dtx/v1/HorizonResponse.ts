// Original file: dtx/v1/participant.proto

import type { Long } from '@grpc/proto-loader';

export interface HorizonResponse {
  'horizonMs'?: (number | string | Long);
}

export interface HorizonResponse__Output {
  'horizonMs': (string);
}

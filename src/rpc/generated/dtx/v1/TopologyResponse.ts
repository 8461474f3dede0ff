// Original file: dtx/v1/coordinator.proto

import type { CoordinatorInfo as _dtx_v1_CoordinatorInfo, CoordinatorInfo__Output as _dtx_v1_CoordinatorInfo__Output } from '../../dtx/v1/CoordinatorInfo.js';

export interface TopologyResponse {
  'coordinatorId'?: (string);
  'coordinators'?: (_dtx_v1_CoordinatorInfo)[];
}

export interface TopologyResponse__Output {
  'coordinatorId': (string);
  'coordinators': (_dtx_v1_CoordinatorInfo__Output)[];
}

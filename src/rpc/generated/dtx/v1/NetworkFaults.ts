// Original file: dtx/v1/admin.proto

import type { LinkFault as _dtx_v1_LinkFault, LinkFault__Output as _dtx_v1_LinkFault__Output } from '../../dtx/v1/LinkFault.js';

export interface NetworkFaults {
  'links'?: (_dtx_v1_LinkFault)[];
}

export interface NetworkFaults__Output {
  'links': (_dtx_v1_LinkFault__Output)[];
}

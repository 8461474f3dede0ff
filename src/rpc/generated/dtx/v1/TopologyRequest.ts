// Original file: dtx/v1/coordinator.proto


export interface TopologyRequest {
}

export interface TopologyRequest__Output {
}

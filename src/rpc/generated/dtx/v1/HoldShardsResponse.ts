// Original file: dtx/v1/shards.proto


export interface HoldShardsResponse {
}

export interface HoldShardsResponse__Output {
}

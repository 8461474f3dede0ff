// Original file: dtx/v1/shards.proto


export interface ReleaseShardsResponse {
}

export interface ReleaseShardsResponse__Output {
}

// Original file: dtx/v1/shards.proto


export interface ListShardsRequest {
}

export interface ListShardsRequest__Output {
}

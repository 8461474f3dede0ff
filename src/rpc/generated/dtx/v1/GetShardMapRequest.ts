// Original file: dtx/v1/shards.proto


export interface GetShardMapRequest {
}

export interface GetShardMapRequest__Output {
}

// Original file: dtx/v1/types.proto


export interface GetOp {
}

export interface GetOp__Output {
}

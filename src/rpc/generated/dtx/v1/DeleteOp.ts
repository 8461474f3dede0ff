// Original file: dtx/v1/types.proto


export interface DeleteOp {
}

export interface DeleteOp__Output {
}

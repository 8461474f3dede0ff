// Original file: dtx/v1/participant.proto


export interface HorizonRequest {
}

export interface HorizonRequest__Output {
}

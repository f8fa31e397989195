/** The other service did not answer in time, or the broker is unreachable. */
export class RpcUnavailable extends Error {}
/** The other service answered with an error (its reason in the message). */
export class RpcError extends Error {}

/** host:port, with an IPv6 host in brackets; what every dtx address looks like. */
const HOST_PORT = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]{1,253}):([0-9]{1,5})$/;

/** Whether `value` is host:port with a port in 0..65535 (0: any free port, for listen addresses). */
export function isHostPort(value: string): boolean {
  const m = HOST_PORT.exec(value);
  return m !== null && Number(m[2]) <= 65535;
}

/** Node ids: a letter, then letters, digits, _ or - (32 at most). */
export const NODE_ID_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

/** At most this much of an input is quoted back in an error message. */
const QUOTE_CHARS = 64;

/** An input quoted for an error message: JSON-escaped and cut short, so no message grows with its input. */
export function quote(value: string): string {
  return value.length <= QUOTE_CHARS ? JSON.stringify(value) : `${JSON.stringify(value.slice(0, QUOTE_CHARS))}… (${value.length} characters)`;
}

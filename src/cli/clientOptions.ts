import { InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { parseAddressList } from '../client/addressList.js';

const DEFAULT_COORDINATOR = '127.0.0.1:7700';

/** host:port[,host:port...]: the coordinators a client command may use, in order. */
export function parseCoordinators(value: string): string[] {
  try {
    return parseAddressList(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/**
 * `-c, --coordinator host:port[,host:port...]`, else $DTX_COORDINATOR (the same list), else
 * 127.0.0.1:7700. Commander checks the env value with the same parser, so a bad entry there is
 * the same one-line usage error.
 */
export function coordinatorOption() {
  return new Option(
    '-c, --coordinator <list>',
    'coordinator host:port, or several as host:port,host:port,...: transactions are spread over them, and a call that finds one down is retried on the next',
  )
    .env('DTX_COORDINATOR')
    .argParser(parseCoordinators)
    .default([DEFAULT_COORDINATOR] as readonly string[], DEFAULT_COORDINATOR);
}

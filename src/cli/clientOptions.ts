export const DEFAULT_COORDINATOR = process.env['DTX_COORDINATOR'] ?? '127.0.0.1:7700';
export const COORDINATOR_FLAG = '-c, --coordinator <host:port>';
export const COORDINATOR_HELP = 'coordinator address (env DTX_COORDINATOR)';

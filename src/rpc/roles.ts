/**
 * Who may call what. A caller's roles come from its client certificate (one OU per role), its
 * bearer token (the tokens file), or a node certificate (OU=node: exactly the role `node`).
 */
export const ROLES = ['client', 'admin', 'faults', 'node'] as const;
export type Role = (typeof ROLES)[number];

/** Calls anyone may make: liveness and the schema, which say nothing about the data. */
const PUBLIC_SERVICES = ['grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'];

const ADMIN_METHODS = ['Status', 'ListTransactions', 'InspectTransaction', 'ResolveTransaction', 'ListAudit', 'ListLocks'];

/** The roles that may call a method, by full path ("/dtx.v1.Coordinator/Transact"); null: public. Unknown paths: nobody. */
export function rolesFor(path: string): readonly Role[] | null {
  const m = /^\/([^/]+)\/([^/]+)$/.exec(path);
  if (!m) return [];
  const [, service, method] = m as unknown as [string, string, string];
  if (PUBLIC_SERVICES.includes(service)) return null;
  switch (service) {
    case 'dtx.v1.Coordinator':
      // Participants ask the coordinator for outcomes (recovery) with GetTransaction; a
      // coordinator passes Transact and GetTransaction on to the one that owns the id.
      return method === 'GetTransaction' || method === 'Transact' || method === 'Topology' ? ['client', 'node'] : ['client'];
    case 'dtx.v1.Locks':
      // Served by the participant that holds each lock; coordinators pass clients' calls on to it.
      return ['client', 'node'];
    case 'dtx.v1.Participant':
      return ['node'];
    case 'dtx.v1.ShardHost':
      // The coordinator running a move calls it; an operator may read the map.
      return method === 'GetMap' ? ['node', 'admin'] : ['node'];
    case 'dtx.v1.Shards':
      // Membership changes are an operator's; Hold/Release pass between coordinators.
      return method === 'Hold' || method === 'Release' ? ['node'] : ['admin'];
    case 'dtx.v1.Admin':
      // Seeing and settling transactions is an operator's; fault injection is the tests'.
      return ADMIN_METHODS.includes(method) ? ['admin'] : ['faults'];
    default:
      return [];
  }
}

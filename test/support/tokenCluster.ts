import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster } from '../../src/cluster/localCluster.js';

/** One token per role that matters to operator pages: a node's, an application's (client) and an operator's (admin). */
export const TOKENS = { node: 'node-token-0123456789abcdef', client: 'client-token-0123456789abcdef', admin: 'admin-token-0123456789abcdef' };

/** A one-participant cluster whose nodes accept only TOKENS (and present the node one to each other). */
export async function startTokenCluster(prefix: string): Promise<{ cluster: LocalCluster; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(dir, 'tokens'), `nodes node ${TOKENS.node}\napp client ${TOKENS.client}\nops admin ${TOKENS.admin}\n`);
  writeFileSync(join(dir, 'node-token'), `${TOKENS.node}\n`);
  const args = ['--tokens', join(dir, 'tokens'), '--token-file', join(dir, 'node-token')];
  const cluster = await LocalCluster.start({ participants: 1, coordinatorArgs: args, participantArgs: args }).catch((e: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  });
  return {
    cluster,
    close: async () => {
      await cluster.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

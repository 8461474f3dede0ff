/**
 * The far end of the floor's round trip: a grpc-js server in its own process serving only
 * grpc.health.v1.Health (the same library and service every dtx node serves). It prints
 * `port <n>` once bound and exits when its parent closes its stdin or goes away.
 */
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';

const server = new grpc.Server();
new HealthImplementation({ '': 'SERVING' }).addToServer(server);
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    process.stderr.write(`echo server: ${err.message}\n`);
    process.exit(1);
  }
  process.stdout.write(`port ${port}\n`);
});
const quit = () => {
  server.forceShutdown();
  process.exit(0);
};
process.stdin.on('end', quit);
process.stdin.on('error', quit);
process.stdin.resume();
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) quit();
}, 500).unref();

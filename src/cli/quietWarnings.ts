/**
 * grpc-js gives TLS the address it dials as the server name; for an IP address (every loopback
 * cluster) Node warns once per process (DEP0123) although the certificate is checked against its
 * IP SANs all the same. That warning alone is dropped; every other warning is printed as Node would.
 */
export function quietTlsServerNameWarning(): void {
  process.removeAllListeners('warning');
  process.on('warning', (w: Error & { code?: string }) => {
    if (w.code === 'DEP0123') return;
    process.stderr.write(`(node:${process.pid}) ${w.code ? `[${w.code}] ` : ''}${w.name}: ${w.message}\n`);
  });
}

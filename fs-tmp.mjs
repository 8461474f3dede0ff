import { ClassicLevel } from 'classic-level';
import { mkdtempSync, rmSync } from 'node:fs';
const dir = mkdtempSync('/tmp/fsx-'); const db = new ClassicLevel(dir); await db.open();
const n = Number(process.argv[2] ?? 200); const t0 = performance.now();
for (let i = 0; i < n; i++) await db.put('k' + i, 'x'.repeat(200), { sync: true });
const dt = performance.now() - t0;
console.log(`pid ${process.pid}: ${n} sync puts in ${dt.toFixed(0)} ms = ${(dt / n).toFixed(2)} ms each`);
await db.close(); rmSync(dir, { recursive: true });

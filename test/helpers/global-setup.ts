import { isCI, serviceStatus, type Service } from './services.js';

/** Prints one loud banner for every missing database server before any test runs; fails under CI. */
export default async function setup(): Promise<void> {
  const missing: string[] = [];
  for (const service of ['postgres', 'mysql'] as Service[]) {
    const status = await serviceStatus(service);
    if (!status.ok) missing.push(`  - ${service}: ${status.reason}`);
  }
  if (missing.length === 0) return;
  const text = missing.join('\n');
  if (isCI) {
    throw new Error(`CI=true but required database servers are missing:\n${text}`);
  }
  console.warn(
    `\n${'!'.repeat(78)}\nSome database servers are unavailable; their tests will be SKIPPED:\n${text}\n${'!'.repeat(78)}\n`,
  );
}

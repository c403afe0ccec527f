/**
 * Debian's Chromium driven by playwright-core (its own browser download cannot work here). Screenshots go
 * to test-results/screenshots/ for a person to look at.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { isCI } from './services.js';

export const CHROMIUM = process.env.SEQUEL_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve(import.meta.dirname, '../../test-results/screenshots');

/** Whether a browser is available; prints why not (and throws under CI) when it is not. */
export function requireBrowser(what: string): boolean {
  if (fs.existsSync(CHROMIUM)) return true;
  const line = `Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set SEQUEL_CHROMIUM)`;
  if (isCI) throw new Error(`CI=true and ${line}; ${what} cannot be skipped under CI.`);
  console.warn(`\n*** SKIPPED ${what}: ${line}\n`);
  return false;
}

export async function launchBrowser(): Promise<Browser> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

export function screenshotPath(name: string): string {
  return path.join(SCREENSHOTS, `${name}.png`);
}

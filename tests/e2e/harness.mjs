// Shared by the browser tests and the browser benchmark: the real attnscope server on loopback and
// Debian's Chromium driven by playwright-core (from web/node_modules; no browser download).
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BINARY = join(ROOT, "build", "attnscope");
export const MINILM = join(ROOT, "models", "all-MiniLM-L6-v2");
export const ARTIFACTS = join(ROOT, "tests", "artifacts", "e2e");
mkdirSync(ARTIFACTS, { recursive: true });

const require = createRequire(join(ROOT, "web", "package.json"));
const { chromium } = require("playwright-core");

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

// Starts `attnscope serve --port 0` (on MiniLM unless extraArgs names a --model) and resolves once it
// prints its URL.
export function startServer(extraArgs = []) {
  const model = extraArgs.includes("--model") ? [] : ["--model", MINILM];
  const proc = spawn(BINARY, ["serve", "--port", "0", ...model, "--quiet", ...extraArgs],
    { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  proc.stderr.on("data", (d) => { stderr += d; });
  return new Promise((resolvePromise, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`attnscope serve did not start:\n${stderr}`)), 30000);
    proc.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/at (http:\/\/[^ ]+\/)/);
      if (m) {
        clearTimeout(timer);
        resolvePromise({ url: m[1], proc, stop: () => proc.kill("SIGTERM") });
      }
    });
    proc.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`attnscope serve exited (${code}):\n${stderr}`));
    });
  });
}

export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), "attnscope-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1400, height: 1000 },
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run", "--disable-default-apps"],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// `attnscope run --format json` for the same model: the oracle for the numbers the page shows.
export function runJson(text, extra = []) {
  const out = execFileSync(BINARY, ["run", text, "--model", MINILM, "--format", "json", "--quiet", ...extra],
    { maxBuffer: 1 << 28 });
  return JSON.parse(out.toString());
}

// Waits until the page has finished `runs` analyses in total (window.attnscope.runs).
export async function waitForRuns(page, runs, timeout = 30000) {
  await page.waitForFunction((r) => (window.attnscope?.runs ?? 0) >= r, runs, { timeout });
}

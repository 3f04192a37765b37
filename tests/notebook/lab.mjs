// A real JupyterLab 4 (from the .venv, PyPI) on loopback with its own data, config and runtime folders, and
// Debian's Chromium driven by playwright-core (web/node_modules). Shared by the notebook tests and the
// notebook benchmark.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const VENV_BIN = join(ROOT, ".venv", "bin");
export const MINILM = join(ROOT, "models", "all-MiniLM-L6-v2");
export const ARTIFACTS = join(ROOT, "tests", "artifacts", "notebook");
mkdirSync(ARTIFACTS, { recursive: true });
const require = createRequire(join(ROOT, "web", "package.json"));
const { chromium } = require("playwright-core");
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

// Starts `jupyter lab` serving `dir`. A fresh JUPYTER_DATA_DIR means a fresh notebook-signature database:
// every notebook there is untrusted, as it is for someone who receives it.
export async function startLab(dir) {
  const home = mkdtempSync(join(tmpdir(), "attnscope-lab-"));
  const port = await freePort();
  const token = "attnscope-test-" + Math.random().toString(36).slice(2);
  const env = {
    ...process.env,
    JUPYTER_DATA_DIR: join(home, "data"), JUPYTER_CONFIG_DIR: join(home, "config"), JUPYTER_RUNTIME_DIR: join(home, "runtime"),
    IPYTHONDIR: join(home, "ipython"), JUPYTERLAB_SETTINGS_DIR: join(home, "settings"), JUPYTERLAB_WORKSPACES_DIR: join(home, "ws"),
    ATTNSCOPE_TEST_MODEL: MINILM, ATTNSCOPE_EXAMPLE_MODEL: MINILM, HF_HUB_OFFLINE: "1", TRANSFORMERS_OFFLINE: "1",
    PATH: `${VENV_BIN}:${process.env.PATH}`,
  };
  const args = ["lab", "--no-browser", "--allow-root", "--ip=127.0.0.1", `--port=${port}`, "--ServerApp.port_retries=0",
    `--IdentityProvider.token=${token}`, `--ServerApp.root_dir=${dir}`, "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    "--ServerApp.disable_check_xsrf=False"];
  // No "get notified about news" prompt over the page.
  mkdirSync(join(home, "settings", "@jupyterlab", "apputils-extension"), { recursive: true });
  writeFileSync(join(home, "settings", "@jupyterlab", "apputils-extension", "notification.jupyterlab-settings"),
    JSON.stringify({ fetchNews: "false", checkForUpdates: false }));
  const proc = spawn(join(VENV_BIN, "jupyter"), args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  proc.stdout.on("data", (d) => { log += d; });
  proc.stderr.on("data", (d) => { log += d; });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`jupyter lab exited (${proc.exitCode}):\n${log}`);
    try {
      const r = await fetch(`${url}/api/status?token=${token}`);
      if (r.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`jupyter lab did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    url, token, proc, log: () => log,
    async stop() {
      // Shut down through the API so kernels go too; then make sure the process is gone.
      await fetch(`${url}/api/shutdown?token=${token}`, { method: "POST" }).catch(() => {});
      await new Promise((r) => { if (proc.exitCode !== null) r(); else { proc.once("exit", r); setTimeout(() => { proc.kill("SIGKILL"); r(); }, 8000); } });
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), "attnscope-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, acceptDownloads: true, viewport: { width: 1400, height: 1000 },
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--disable-quic", "--no-first-run", "--disable-default-apps"],
  });
  return { context, async close() { await context.close(); rmSync(profile, { recursive: true, force: true }); } };
}

// Opens a notebook in Lab (`&reset`: no tabs from an earlier session) and waits for its kernel.
export async function openNotebook(page, lab, name) {
  await page.goto(`${lab.url}/lab/tree/${name}?token=${lab.token}&reset`);
  await page.locator(".jp-NotebookPanel").first().waitFor({ timeout: 60000 });
  await page.waitForFunction(() => {
    const s = document.querySelector(".jp-Notebook-ExecutionIndicator, .jp-Toolbar-kernelStatus");
    return document.querySelectorAll(".jp-Cell").length > 0 && (!s || !/Connecting|Starting/i.test(s.getAttribute("data-status") ?? s.textContent ?? ""));
  }, null, { timeout: 60000 });
}

// Run All through the Run menu, once the kernel is idle (a click while it connects is lost).
export async function runAll(page) {
  await page.waitForFunction(() => /Idle/.test(document.querySelector(".jp-StatusBar-TextItem, .jp-StatusBar")?.textContent ?? ""), null,
    { timeout: 60000 }).catch(() => {});
  await page.locator(".jp-NotebookPanel .jp-Cell").first().click();
  await page.locator(".lm-MenuBar-itemLabel", { hasText: /^Run$/ }).click();
  await page.locator(".lm-Menu-item:not(.lm-mod-disabled)", { hasText: /^Run All Cells/ }).first().click();
  await page.waitForFunction(() => [...document.querySelectorAll(".jp-InputArea-prompt")].some((p) => /\[[\d*]+\]/.test(p.textContent ?? "")),
    null, { timeout: 30000 });
}

// Every output of every cell has settled: no cell queued or running ("[*]").
export async function waitIdle(page, timeout = 120000) {
  await page.waitForFunction(() => {
    const prompts = [...document.querySelectorAll(".jp-InputArea-prompt")].map((p) => p.textContent ?? "");
    return prompts.length > 0 && prompts.every((t) => !t.includes("*")) && prompts.some((t) => /\[\d+\]/.test(t));
  }, null, { timeout });
}

// Facts about every attnscope output on the page: drawn by script or not, canvas ink, static picture shown.
export async function outputs(page) {
  return page.evaluate(() => [...document.querySelectorAll(".attnscope-output")].map((o) => {
    const live = o.querySelector(".attnscope-live");
    const img = o.querySelector("img.attnscope-static");
    const canvases = [...o.querySelectorAll("canvas")];
    let ink = 0;
    for (const c of canvases) {
      if (c.width === 0 || c.height === 0) continue;
      const g = c.getContext("2d");
      const d = g.getImageData(0, 0, c.width, c.height).data;
      for (let k = 0; k < d.length; k += 4 * 7) if (d[k + 3] > 0 && (d[k] < 200 || d[k + 1] < 200 || d[k + 2] < 200)) ink++;
    }
    const shown = (e) => !!e && e.getBoundingClientRect().height > 0 && getComputedStyle(e).display !== "none";
    return {
      explore: o.classList.contains("attnscope-explore"), twin: o.classList.contains("attnscope-static-twin"),
      drawn: live?.dataset.drawn === "1", tokens: live?.dataset.tokens ? JSON.parse(live.dataset.tokens) : null,
      canvases: canvases.length, ink, imgShown: shown(img), imgWidth: img ? img.naturalWidth : 0, outerShown: shown(o),
    };
  }));
}

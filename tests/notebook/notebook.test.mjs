// The notebook views in a real JupyterLab 4 (PyPI) driven by Debian's Chromium: the example notebook run
// cell by cell, each view drawn, hover, typing in explore; the saved notebook reopened untrusted by a fresh
// JupyterLab; the nbconvert HTML opened with every network request blocked. Screenshots in
// tests/artifacts/notebook/. Needs the package installed in .venv (scripts/test-notebook.sh does it).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";

import { ARTIFACTS, ROOT, VENV_BIN, launchBrowser, openNotebook, outputs, runAll, startLab, waitIdle } from "./lab.mjs";

const EXAMPLE = "attention-heads.ipynb";
const ANY = "any_attention.ipynb";
const EXPECTED_TOKENS = ["[CLS]", "the", "output", "shows", "the", "attention", "values", "[SEP]"];
let dir, lab, browser, page;
const scriptErrors = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "attnscope-nb-"));
  copyFileSync(join(ROOT, "examples", EXAMPLE), join(dir, EXAMPLE));
  copyFileSync(join(ROOT, "tests", "notebook", ANY), join(dir, ANY));
  lab = await startLab(dir);
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on("pageerror", (e) => scriptErrors.push(e.message));
});

after(async () => {
  await browser?.close();
  await lab?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function live(o) {
  return !o.twin;
}

test("the example notebook runs in JupyterLab and every view draws on canvas", async () => {
  const t0 = performance.now();
  await openNotebook(page, lab, EXAMPLE);
  const t1 = performance.now();
  await runAll(page);
  const t2 = performance.now();
  await waitIdle(page);
  console.log(`# open ${(t1 - t0).toFixed(0)} ms · run all clicked ${(t2 - t1).toFixed(0)} ms · cells done ${(performance.now() - t2).toFixed(0)} ms`);
  // model, head, heatmap, neuron, stats, atlas and explore draw; explore's static twin is hidden while it runs.
  await page.waitForFunction(() => document.querySelectorAll('.attnscope-live[data-drawn="1"]').length >= 7, null, { timeout: 60000 });
  console.log(`# run all → 7 views drawn: ${(performance.now() - t0).toFixed(0)} ms`);
  const outs = await outputs(page);
  await page.screenshot({ path: join(ARTIFACTS, "lab-example.png"), fullPage: true });
  const drawn = outs.filter(live);
  assert.equal(drawn.length, 7, JSON.stringify(outs));
  for (const o of drawn) {
    assert.ok(o.drawn, "a view did not draw");
    assert.ok(o.ink > 20, `a view's canvas is blank (${o.ink} inked samples)`);
    assert.equal(o.imgShown, false, "the static picture should give way to the canvas");
    assert.deepEqual(o.tokens, EXPECTED_TOKENS);
  }
  const twins = outs.filter((o) => o.twin);
  assert.equal(twins.length, 1);
  assert.equal(twins[0].outerShown, false, "explore's static twin should be hidden while the widget runs");
  // The atlas drew its head map and rollout from the answers it embeds (no server, no kernel round trip).
  const atlas = page.locator('.attnscope-view[data-head-map="1"]').first();
  await atlas.waitFor({ timeout: 10000 });
  assert.match(await atlas.textContent(), /MDS stress \d/);
  await atlas.locator('canvas[data-series="rollout → [CLS],flow → [CLS]"]').waitFor({ timeout: 10000 });
  assert.deepEqual(scriptErrors, []);
});

test("explore's atlas tab asks the kernel: head map, rollout, norms, then an ablation", async () => {
  const root = page.locator(".attnscope-explore").first();
  await root.scrollIntoViewIfNeeded();
  const t0 = performance.now();
  await root.locator('button[data-view="atlas"]').click();
  try {
    await exploreAtlas(root, t0);
  } finally {
    await root.locator('button[data-view="model"]').click();  // the next tests look at explore's model view
  }
  assert.deepEqual(scriptErrors, []);
});

async function exploreAtlas(root, t0) {
  const view = root.locator('.attnscope-view[data-head-map="1"]');
  await view.waitFor({ timeout: 30000 });
  await root.locator("[data-norms]").first().waitFor({ timeout: 30000 });
  console.log(`# explore atlas: head map, rollout and norms from the kernel ${(performance.now() - t0).toFixed(0)} ms`);
  await view.locator('canvas[data-series="rollout → [CLS],flow → [CLS]"]').waitFor({ timeout: 10000 });
  const grid = root.locator("#ablate-grid");
  await grid.scrollIntoViewIfNeeded();
  const g = await grid.boundingBox();
  await page.mouse.click(g.x + 34 + 18 * 1.5, g.y + 20 + 18 * 0.5);  // layer 0, head 1 (heatmapGrid.ts layout)
  await root.locator("#ablate-run").click();
  const result = root.locator("#ablate-result table");
  await result.waitFor({ timeout: 30000 });
  const rows = await result.locator("tr").count();
  console.log(`# explore ablation of 0:1: ${rows - 1} token rows`);
  assert.equal(rows, 1 + EXPECTED_TOKENS.length);
}

test("hovering shows values: a token in the head view, a cell in the heatmap", async () => {
  const head = page.locator("#head-canvas").first();
  const tip = page.locator(".attnscope-tooltip:visible").first();
  // JupyterLab lays the notebook out again while it scrolls (its windowed rendering), so a box read right
  // after scrolling can be stale: point again, as a user would, until the tooltip shows (up to 5 times).
  for (let attempt = 1; ; attempt++) {
    await head.scrollIntoViewIfNeeded();
    await page.waitForTimeout(200);
    const box = await head.boundingBox();
    await page.mouse.move(1, 1);
    // Row 2 ("output") of the left column: top 8 px, 20 px rows for 8 tokens (headView.ts layout).
    await page.mouse.move(box.x + 20, box.y + 8 + 2 * 20 + 10);
    const shown = await tip.waitFor({ timeout: 1500 }).then(() => true, () => false);
    if (shown) break;
    if (attempt === 5) assert.fail("hovering a token of the head view showed no tooltip (5 tries)");
  }
  const text = await tip.textContent();
  console.log(`# head view tooltip: ${text.split("\n").slice(0, 2).join(" | ")}`);
  assert.match(text, /^output \(attends to\)/);
  assert.match(text, /head 0: → \S+ ≈ \d\.\d{3}/, "the 8-bit copy's values are marked as rounded");
  const detail = page.locator("#detail-canvas").first();
  await detail.scrollIntoViewIfNeeded();
  const d = await detail.evaluate((c) => ({ left: Number(c.dataset.left), top: Number(c.dataset.top), cell: Number(c.dataset.cell) }));
  const db = await detail.boundingBox();
  await page.mouse.move(db.x + d.left + d.cell * 1.5, db.y + d.top + d.cell * 0.5);
  const readout = await page.locator("#detail-readout").first().textContent();
  console.log(`# heatmap readout: ${readout}`);
  // A static output holds the 8-bit copy: the readout marks its value as rounded and says by how much.
  assert.match(readout, /^\[CLS\] → the: ≈ \d(\.\d+)?(e-\d+)? \(8-bit copy, ± [0-9.e-]+\)/);
});

test("typing in explore recomputes in the kernel and redraws", async () => {
  const box = page.locator(".attnscope-explore textarea").first();
  await box.scrollIntoViewIfNeeded();
  const liveRoot = page.locator(".attnscope-explore .attnscope-live").first();
  const seq = Number(await liveRoot.getAttribute("data-seq"));
  const t0 = performance.now();
  await box.fill("The cat was not amused.");
  await page.waitForFunction((s) => {
    const r = document.querySelector(".attnscope-explore .attnscope-live");
    return Number(r?.dataset.seq) > s && (r?.dataset.tokens ?? "").includes("amused");
  }, seq, { timeout: 30000 });
  console.log(`# explore: edit → redrawn ${(performance.now() - t0).toFixed(0)} ms`);
  const tokens = JSON.parse(await liveRoot.getAttribute("data-tokens"));
  assert.deepEqual(tokens, ["[CLS]", "the", "cat", "was", "not", "amused", ".", "[SEP]"]);
  const o = (await outputs(page)).find((x) => x.explore);
  assert.ok(o.ink > 20);
  await save(EXAMPLE);  // for the untrusted and nbconvert tests
});

test("BertViz's call on transformers attentions (and a causal map) draws", async () => {
  await openNotebook(page, lab, ANY);
  await runAll(page);
  await waitIdle(page);
  await page.waitForFunction(() => document.querySelectorAll('.attnscope-live[data-drawn="1"]').length >= 5, null, { timeout: 60000 });
  const outs = (await outputs(page)).filter(live);
  await page.screenshot({ path: join(ARTIFACTS, "lab-any-attention.png"), fullPage: true });
  assert.equal(outs.length, 5);
  for (const o of outs) assert.ok(o.drawn && o.ink > 20, JSON.stringify(o));
  assert.deepEqual(scriptErrors, []);
});

// Saves the open notebook (File → Save, as a user would) and waits until the file holds the views' outputs.
async function save(name) {
  const file = join(dir, name);
  await page.locator(".lm-MenuBar-itemLabel", { hasText: /^File$/ }).click();
  await page.locator(".lm-Menu-item:not(.lm-mod-disabled)", { hasText: /^Save Notebook/ }).first().click();
  for (let i = 0; i < 300; i++) {
    if (readFileSync(file, "utf8").includes("attnscope-static-twin")) return;
    await page.waitForTimeout(100);
  }
  assert.fail(`${name} was not saved with its outputs`);
}

test("the saved notebook opened untrusted in a fresh JupyterLab shows every view's static picture", async () => {
  await lab.stop();
  lab = await startLab(dir);  // new data dir: a new signature database, so the notebook is untrusted
  await openNotebook(page, lab, EXAMPLE);
  await page.waitForFunction(() => document.querySelectorAll("img.attnscope-static").length >= 7, null, { timeout: 30000 });
  await page.waitForTimeout(1000);
  const outs = await outputs(page);
  await page.screenshot({ path: join(ARTIFACTS, "lab-untrusted.png"), fullPage: true });
  const pictures = outs.filter((o) => o.imgShown && o.imgWidth > 100);
  console.log(`# untrusted reopen: ${pictures.length} static pictures shown, ${outs.filter((o) => o.drawn).length} scripts ran`);
  assert.equal(outs.filter((o) => o.drawn).length, 0, "an untrusted notebook ran a script");
  assert.equal(pictures.length, 7, JSON.stringify(outs));  // model, head, heatmap, neuron, stats, atlas, explore's twin
});

test("nbconvert's HTML opened with every network request blocked still shows its views", async () => {
  const html = join(dir, "attention-heads.html");
  execFileSync(join(VENV_BIN, "jupyter"), ["nbconvert", "--to", "html", "--HTMLExporter.require_js_url=", "--HTMLExporter.mathjax_url=",
    join(dir, EXAMPLE), "--output", html], { stdio: "pipe" });
  const size = statSync(html).size;
  const ctx = browser.context;
  const p = await ctx.newPage();
  const blocked = [];
  await p.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith("file:")) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  const errors = [];
  p.on("pageerror", (e) => errors.push(e.message));
  await p.goto(pathToFileURL(html).href);
  await p.waitForFunction(() => document.querySelectorAll('.attnscope-live[data-drawn="1"]').length >= 6, null, { timeout: 30000 });
  const outs = await outputs(p);
  await p.screenshot({ path: join(ARTIFACTS, "nbconvert-offline.png"), fullPage: true });
  console.log(`# nbconvert HTML ${(size / 1e6).toFixed(2)} MB; blocked requests: ${blocked.length} ${blocked.slice(0, 3).join(" ")}`);
  const drawn = outs.filter((o) => o.drawn && o.ink > 20);
  assert.equal(drawn.length, 6, JSON.stringify(outs));  // model, head, heatmap, neuron, stats, atlas; explore is a widget
  const twin = outs.find((o) => o.twin);
  assert.ok(twin?.imgShown, "explore's static twin is not shown in the HTML");
  assert.deepEqual(errors, []);
  await p.close();
});

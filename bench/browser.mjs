#!/usr/bin/env node
// The explorer's speed in a real browser (Debian's headless Chromium, software rendering), with
// performance marks set by the page itself:
//   1. last keystroke → model view fully drawn, for a 12-token sentence on all-MiniLM-L6-v2 (target ≤ 150 ms):
//      from the "input" mark of the final keystroke (so the 40 ms debounce counts) to "model-view-drawn"
//      (all L × H thumbnails painted) and "model-view-presented" (the next animation frame).
//   2. last keystroke → every layer drawn and the statistics in, at 512 tokens (target ≤ 300 ms).
//   3. head-view frame time at 512 tokens (target ≤ 33 ms): the redraw plus a forced rasterisation of the
//      canvas (reading one pixel back makes Chromium execute every queued draw), for full redraws with
//      every head shown and for hover redraws (one token's lines).
// Prints median, spread and the machine; writes bench/results/browser.json.
//   node bench/browser.mjs [--reps 30] [--model DIR]
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";

import { ROOT, launchBrowser, startServer, waitForRuns } from "../tests/e2e/harness.mjs";

const reps = Number(process.argv[process.argv.indexOf("--reps") + 1] || 30) || 30;
// --model DIR: serve another checkpoint (the bert-base shapes, say) for the whole run.
const modelArg = process.argv.includes("--model") ? ["--model", process.argv[process.argv.indexOf("--model") + 1]] : [];
mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
const SENTENCE = "The quick brown fox jumps over the lazy dog.";  // 12 tokens with [CLS] and [SEP]

function summary(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p10: q(0.1), p90: q(0.9), min: s[0], max: s[s.length - 1], n: s.length };
}
const fmt = (x) => `median ${x.median.toFixed(1)} ms (p10 ${x.p10.toFixed(1)}, p90 ${x.p90.toFixed(1)}, max ${x.max.toFixed(1)}, n ${x.n})`;

const server = await startServer(modelArg);
const browser = await launchBrowser();
const page = await browser.context.newPage();
const chromiumVersion = browser.context.browser()?.version() ?? "chromium";
await page.goto(server.url);
await waitForRuns(page, 1);
const modelName = await page.evaluate(() => fetch("api/model").then((r) => r.json()).then((m) => m.name));

// ---- 1. keystroke → model view ----
const drawn = [], presented = [], forward = [];
for (let i = 0; i < reps + 3; i++) {
  const runs = await page.evaluate(() => window.attnscope.runs);
  await page.locator("#text").fill(SENTENCE.slice(0, -1));
  await waitForRuns(page, runs + 1);
  const before = await page.evaluate(() => window.attnscope.runs);
  await page.keyboard.press("End");
  await page.keyboard.type(".");
  await waitForRuns(page, before + 1);
  await page.waitForFunction(() => performance.getEntriesByName("model-view-presented").length > 0);
  const m = await page.evaluate(() => {
    const t = (name) => performance.getEntriesByName(name)[0].startTime;
    return { drawn: t("model-view-drawn") - t("input"), presented: t("model-view-presented") - t("input"),
      forward: window.attnscope.analysis().forwardMs, n: window.attnscope.analysis().n };
  });
  if (m.n !== 12) throw new Error(`expected 12 tokens, got ${m.n}`);
  if (i < 3) continue;  // warm-up
  drawn.push(m.drawn);
  presented.push(m.presented);
  forward.push(m.forward);
}

// ---- 2. last keystroke → every layer drawn and the statistics in, at 512 tokens ----
// From the "input" mark to: the first and the last layer frame decoded, the model view's last thumbnail
// ("model-view-drawn": every layer's data is on the page, so any view opened now draws at once), and
// the stream's end (statistics in: the statistics view's data). The values come in half precision
// ("values": "auto"); the server's forward time is reported beside.
const words = readFileSync(join(ROOT, "README.md"), "utf8").replace(/[^A-Za-z ]+/g, " ").split(/\s+/).filter(Boolean);
await page.check("#truncate");
await waitForRuns(page, (await page.evaluate(() => window.attnscope.runs)) + 1);
const longText = words.join(" ").repeat(3);
const long = { firstLayer: [], lastLayer: [], drawn: [], done: [], forward: [] };
let longValues = "";
for (let i = 0; i < Math.max(8, Math.floor(reps / 2)) + 2; i++) {
  const runs = await page.evaluate(() => window.attnscope.runs);
  await page.locator("#text").fill(longText.slice(0, longText.length - 1 - (i % 2)));
  await waitForRuns(page, runs + 1);
  const m = await page.evaluate(() => {
    const at = (name) => performance.getEntriesByName(name)[0].startTime - performance.getEntriesByName("input")[0].startTime;
    const a = window.attnscope.analysis();
    return { n: a.n, values: a.values, forward: a.forwardMs, firstLayer: at("stream-first-layer"), lastLayer: at("stream-last-layer"),
      drawn: at("model-view-drawn"), done: at("stream-done") };
  });
  if (m.n !== 512) throw new Error(`expected 512 tokens, got ${m.n}`);
  longValues = m.values;
  if (i < 2) continue;  // warm-up
  for (const k of Object.keys(long)) long[k].push(m[k]);
}

// ---- 3. head view at 512 tokens ----
await page.waitForFunction(() => {
  const a = window.attnscope.analysis();
  return a && a.n === 512 && a.layersDone === a.L && a.stats !== null;
});
const n = 512;
await page.click('#tabs button[data-view="head"]');
await page.locator("#head-canvas").waitFor();
const full = [], fullLines = [];
for (let i = 0; i < reps; i++) {
  const layer = i % 6;
  const r = await page.evaluate(async (l) => {
    const select = document.querySelector('select[aria-label="Layer"]');
    const t0 = performance.now();
    select.value = String(l);
    select.dispatchEvent(new Event("change"));
    const c = document.querySelector("#head-canvas");
    const t1 = performance.now();
    c.getContext("2d").getImageData(0, 0, 1, 1);
    return { ms: performance.now() - t0, js: t1 - t0, select: Number(c.dataset.selectMs), lines: Number(c.dataset.lines) };
  }, layer);
  full.push(r.ms);
  if (process.env.VERBOSE) console.log(r);
  fullLines.push(r.lines);
}
const hover = [];
const box = await page.locator("#head-canvas").boundingBox();
for (let i = 0; i < reps; i++) {
  const ms = await page.evaluate(([k, count]) => {
    const c = document.querySelector("#head-canvas");
    const r = c.getBoundingClientRect();
    const rowH = (r.height - 16) / count;
    const t0 = performance.now();
    c.dispatchEvent(new MouseEvent("mousemove", { clientX: r.left + (k % 2 ? r.width - 5 : 5), clientY: r.top + 8 + (k * 37 % count + 0.5) * rowH, bubbles: true }));
    c.getContext("2d").getImageData(0, 0, 1, 1);
    return performance.now() - t0;
  }, [i, n]);
  hover.push(ms);
  if (process.env.VERBOSE) console.log("hover", i, ms.toFixed(1));
}
await page.mouse.move(0, 0);
await page.screenshot({ path: join(ROOT, "bench", "results", "head-view-512.png") });
void box;

const result = {
  machine: { cpu: cpus()[0]?.model, cores: cpus().length, browser: `Chromium ${chromiumVersion} (headless, --disable-gpu)` },
  model: modelName,
  keystroke_to_model_view_ms: { drawn: summary(drawn), presented: summary(presented), model_forward_ms: summary(forward), tokens: 12 },
  keystroke_to_views_512_ms: { tokens: 512, values: longValues, first_layer: summary(long.firstLayer), last_layer: summary(long.lastLayer),
    model_view_drawn: summary(long.drawn), statistics_in: summary(long.done), model_forward_ms: summary(long.forward) },
  head_view_512: { tokens: n, full_redraw_ms: summary(full), lines_drawn: summary(fullLines), hover_redraw_ms: summary(hover) },
};
writeFileSync(join(ROOT, "bench", "results", "browser.json"), JSON.stringify(result, null, 2));
console.log(`machine: ${result.machine.cpu}, ${result.machine.cores} cores, ${result.machine.browser}; server: attnscope serve, ${modelName}`);
console.log(`keystroke → model view drawn (12 tokens):     ${fmt(result.keystroke_to_model_view_ms.drawn)}   target ≤ 150 ms`);
console.log(`keystroke → model view on screen (next frame): ${fmt(result.keystroke_to_model_view_ms.presented)}`);
console.log(`  of which the server's forward pass:          ${fmt(result.keystroke_to_model_view_ms.model_forward_ms)}; debounce 40 ms`);
const k5 = result.keystroke_to_views_512_ms;
console.log(`keystroke → every layer drawn, 512 tokens (${k5.values}): ${fmt(k5.model_view_drawn)}   target ≤ 300 ms (MiniLM), ≤ 1 s (bert-base)`);
console.log(`  first layer on the page:                    ${fmt(k5.first_layer)}`);
console.log(`  statistics in (stream done):                ${fmt(k5.statistics_in)}`);
console.log(`  the server's forward pass (while streaming): ${fmt(k5.model_forward_ms)}`);
console.log(`head view, ${n} tokens, all 12 heads:          ${fmt(result.head_view_512.full_redraw_ms)}   target ≤ 33 ms (${Math.round(result.head_view_512.lines_drawn.median)} lines)`);
console.log(`head view, ${n} tokens, hover (one token):     ${fmt(result.head_view_512.hover_redraw_ms)}   target ≤ 33 ms`);
await browser.close();
server.stop();

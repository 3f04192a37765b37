// End to end in a real browser: the explorer served by `attnscope serve`, driven in Debian's headless
// Chromium. Screenshots go to tests/artifacts/e2e/.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";

import { ARTIFACTS, BINARY, MINILM, ROOT, launchBrowser, runJson, startServer, waitForRuns } from "./harness.mjs";

const SENTENCE = "The quick brown fox jumps over the lazy dog.";
const PAIR = "It was not amused.";

let server, browser, page;
const scriptErrors = [];

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on("pageerror", (e) => scriptErrors.push(e.message));
});

after(async () => {
  await browser?.close();
  server?.stop();
});

async function typeSentence(text) {
  const before = await page.evaluate(() => window.attnscope.runs);
  const box = page.locator("#text");
  await box.fill("");
  await box.pressSequentially(text, { delay: 15 });
  const expected = runJson(text).encoding.tokens;
  await page.waitForFunction(([r, tokens]) => {
    const a = window.attnscope.analysis();
    return window.attnscope.runs > r && a && a.encoding.tokens.join(" ") === tokens.join(" ") && a.layersDone === a.L &&
      a.stats !== null;
  }, [before, expected]);
  return expected;
}

// Distinct colours in an image (a PNG data URL or a canvas in the page): a blank picture has one or two.
async function distinctColours(selectorOrDataUrl) {
  return page.evaluate(async (src) => {
    let canvas;
    if (src.startsWith("data:")) {
      const img = new Image();
      img.src = src;
      await img.decode();
      canvas = document.createElement("canvas");
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      canvas.getContext("2d").drawImage(img, 0, 0);
    } else {
      canvas = document.querySelector(src);
    }
    const d = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    const seen = new Set();
    for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return { colours: seen.size, width: canvas.width, height: canvas.height };
  }, selectorOrDataUrl);
}

test("the page opens with the default sentence and draws every head, layer by layer", async () => {
  await page.goto(server.url);
  await waitForRuns(page, 1);
  assert.equal(await page.inputValue("#text"), "The output shows the attention values");
  await page.waitForSelector("#model-grid[data-complete]");
  const thumbs = await page.locator("#model-grid canvas.thumb").count();
  const pending = await page.locator("#model-grid canvas.thumb.pending").count();
  console.log(`model view: ${thumbs} thumbnails, ${pending} pending`);
  assert.equal(thumbs, 6 * 12);
  assert.equal(pending, 0);
  await page.screenshot({ path: join(ARTIFACTS, "01-default.png"), fullPage: true });
});

test("typing re-runs the model; tokens and L × H thumbnails match the sentence", async () => {
  const expected = await typeSentence(SENTENCE);
  const labels = await page.locator("#tokens span").allTextContents();
  console.log(`tokens on the page: ${labels.join(" ")}`);
  assert.deepEqual(labels, expected);
  await page.waitForSelector("#model-grid[data-complete]");
  assert.equal(await page.locator("#model-grid canvas.thumb").count(), 72);
  const thumb = await distinctColours('canvas[data-layer="2"][data-head="5"]');
  console.log(`thumbnail L2 H5: ${thumb.width}×${thumb.height}, ${thumb.colours} colours`);
  assert.equal(thumb.width, expected.length);
  assert.ok(thumb.colours > 3, "the thumbnail shows a pattern");
  const url = new URL(page.url());
  assert.equal(url.searchParams.get("text"), SENTENCE, "the URL holds the text");
  await page.screenshot({ path: join(ARTIFACTS, "02-model-view.png"), fullPage: true });
});

test("clicking a head opens its heatmap; the hovered value equals `attnscope run --format json`", async () => {
  await page.click('canvas[data-layer="2"][data-head="5"]');
  const canvas = page.locator("#detail-canvas");
  await canvas.waitFor();
  assert.match(page.url(), /view=detail/);
  assert.match(page.url(), /layer=2/);
  assert.match(page.url(), /head=5/);
  const g = await canvas.evaluate((c) => ({ left: Number(c.dataset.left), top: Number(c.dataset.top), cell: Number(c.dataset.cell) }));
  const oracle = runJson(SENTENCE).attentions[2][5];
  const tokens = runJson(SENTENCE).encoding.tokens;
  for (const [r, c] of [[3, 4], [0, 0], [tokens.length - 1, 1], [5, tokens.length - 1]]) {
    await canvas.hover({ position: { x: g.left + c * g.cell + g.cell / 2, y: g.top + r * g.cell + g.cell / 2 } });
    const text = await page.locator("#detail-readout").textContent();
    const m = text.match(/^(.*) → (.*): ([-0-9.e]+)/);
    assert.ok(m, `readout: ${text}`);
    const shown = Number(m[3]);
    console.log(`cell (${r}, ${c}) ${m[1]} → ${m[2]}: page ${m[3]}, run --format json ${oracle[r][c]}, ` +
      `difference ${Math.abs(shown - oracle[r][c])}`);
    assert.equal(m[1], tokens[r]);
    assert.equal(m[2], tokens[c]);
    assert.equal(Math.fround(shown), Math.fround(oracle[r][c]), "the page shows the exact float32");
  }
  await page.screenshot({ path: join(ARTIFACTS, "03-head-detail-hover.png"), fullPage: true });
});

test("hiding [CLS]/[SEP] renormalises rows; word mode merges ## pieces", async () => {
  await page.check("#hide-special");
  const rows = await page.locator("#detail-canvas").evaluate((c) => Number(c.dataset.rows));
  const n = runJson(SENTENCE).encoding.tokens.length;
  assert.equal(rows, n - 2);
  await page.uncheck("#hide-special");
  await page.locator("#text").fill("Tokenization handles unbelievably long words.");
  await page.waitForFunction(() => window.attnscope.analysis()?.encoding.tokens.includes("##ization") &&
    window.attnscope.analysis().layersDone === window.attnscope.analysis().L);
  await page.locator("#detail-canvas").waitFor();
  const pieces = runJson("Tokenization handles unbelievably long words.").encoding.tokens;
  await page.check("#words");
  const wordRows = await page.locator("#detail-canvas").evaluate((c) => Number(c.dataset.rows));
  const expectedWords = pieces.filter((t) => !t.startsWith("##")).length;
  console.log(`word mode: ${pieces.length} pieces → ${wordRows} rows (expected ${expectedWords})`);
  assert.equal(wordRows, expectedWords);
  await page.uncheck("#words");
});

test("a sentence pair: the head view's All / A→A / B→B / A→B / B→A filter splits the lines exactly", async () => {
  await typeSentence(SENTENCE);
  const before = await page.evaluate(() => window.attnscope.runs);
  await page.check("#pair-on");
  await page.locator("#pair").fill(PAIR);
  await page.waitForFunction((r) => window.attnscope.runs > r && window.attnscope.analysis()?.encoding.sentence_b_start !== null &&
    window.attnscope.analysis().layersDone === window.attnscope.analysis().L, before);
  assert.ok(await page.locator("#tokens span.b").count() > 0, "sentence B tokens are marked");
  await page.click('#tabs button[data-view="head"]');
  const canvas = page.locator("#head-canvas");
  await canvas.waitFor();
  const lines = {};
  for (const f of ["all", "aa", "bb", "ab", "ba"]) {
    await page.selectOption('select[aria-label="Attention"]', f);
    lines[f] = Number(await page.locator("#head-canvas").getAttribute("data-lines"));
    await page.screenshot({ path: join(ARTIFACTS, `04-head-view-${f}.png`), fullPage: true });
  }
  console.log(`head view lines per filter: ${JSON.stringify(lines)}`);
  assert.ok(lines.ab > 0 && lines.ba > 0 && lines.aa > 0 && lines.bb > 0);
  assert.equal(lines.aa + lines.bb + lines.ab + lines.ba, lines.all, "every line is in exactly one part");
  assert.match(page.url(), /filter=ba/);
  // Double-click solos a head; the URL remembers it.
  await page.selectOption('select[aria-label="Attention"]', "all");
  await page.dblclick('.head-boxes button[data-head="3"]');
  await page.waitForFunction(() => new URL(location.href).searchParams.get("heads") === "3");
  const solo = Number(await page.locator("#head-canvas").getAttribute("data-lines"));
  assert.ok(solo > 0 && solo < lines.all);
});

test("PNG and SVG export of the current view are valid, non-empty images", async () => {
  await page.click('#tabs button[data-view="detail"]');
  await page.locator("#detail-canvas").waitFor();
  const [png] = await Promise.all([page.waitForEvent("download"), page.click("#export-png")]);
  const pngPath = join(ARTIFACTS, png.suggestedFilename());
  await png.saveAs(pngPath);
  const bytes = readFileSync(pngPath);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "PNG signature");
  const decoded = await distinctColours(`data:image/png;base64,${bytes.toString("base64")}`);
  console.log(`exported ${png.suggestedFilename()}: ${bytes.length} bytes, ${decoded.width}×${decoded.height}, ${decoded.colours} colours`);
  assert.ok(decoded.width > 100 && decoded.height > 100);
  assert.ok(decoded.colours > 50, "the PNG holds a heatmap, not a blank canvas");
  const [svg] = await Promise.all([page.waitForEvent("download"), page.click("#export-svg")]);
  const svgPath = join(ARTIFACTS, svg.suggestedFilename());
  await svg.saveAs(svgPath);
  const svgText = readFileSync(svgPath, "utf8");
  assert.match(svgText, /^<\?xml[^>]*>\n<svg /);
  assert.ok((svgText.match(/<rect /g) ?? []).length > 100, "the SVG has the heatmap's cells");
  assert.ok(svgText.includes(">fox</text>"), "the SVG has the token labels");
});

test("a link reopens the same view", async () => {
  await page.click('#tabs button[data-view="stats"]');
  await page.click('#stats-table th[data-key="to_cls"]');
  const link = page.url();
  const other = await browser.context.newPage();
  await other.goto(link);
  await other.waitForSelector("#stats-table");
  assert.equal(await other.inputValue("#text"), SENTENCE);
  assert.equal(await other.inputValue("#pair"), PAIR);
  assert.match(await other.locator("#stats-table th.sorted").textContent(), /CLS/);
  assert.equal(await other.locator("#stats-table tbody tr").count(), 72);
  await other.screenshot({ path: join(ARTIFACTS, "05-stats-from-link.png"), fullPage: true });
  await other.close();
});

test("neuron view, atlas and dark theme render", async () => {
  await page.click('#tabs button[data-view="neuron"]');
  await page.waitForFunction(() => document.querySelector("#neuron-canvas")?.width > 100);
  await page.screenshot({ path: join(ARTIFACTS, "06-neuron-view.png"), fullPage: true });
  await page.click('#tabs button[data-view="atlas"]');
  await page.waitForSelector("#atlas-grids canvas");
  await page.waitForFunction(() => /stress/.test(document.querySelector("#head-map")?.previousElementSibling?.textContent ?? ""));
  await page.waitForSelector('canvas[data-norms="special_norm_share"]');
  await page.waitForFunction(() => [...document.querySelectorAll("p")].some((p) => /contributes to \[CLS\]/.test(p.textContent)));
  await page.click("#theme");
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  await page.screenshot({ path: join(ARTIFACTS, "07-atlas-dark.png"), fullPage: true });
  await page.click("#theme");
});

test("an error from the server shows as a message and the page keeps working", async () => {
  const before = await page.evaluate(() => window.attnscope.runs);
  await page.locator("#pair-on").uncheck();
  await page.locator("#text").fill("word ".repeat(600));
  await page.waitForFunction(() => document.querySelector("#status")?.classList.contains("error"));
  console.log(`status for 600 words: ${await page.locator("#status").textContent()}`);
  assert.match(await page.locator("#status").textContent(), /longer than the model's maximum of 512/);
  await page.check("#truncate");
  // Wait for this run's closing event, not only its layers (they come before it, and the run counter can
  // already be past `before` from the previous test's run): otherwise the wait below could be met by this
  // run's late count and read its 512 tokens.
  await page.waitForFunction(() => {
    const a = window.attnscope.analysis();
    return a?.n === 512 && a.layersDone === 6 && a.forwardMs > 0;
  });
  assert.ok((await page.evaluate(() => window.attnscope.runs)) > before);
  assert.match(page.url(), /truncate=1/);
  const afterTruncated = await page.evaluate(() => window.attnscope.runs);
  await page.uncheck("#truncate");
  await page.locator("#text").fill("Back to normal.");
  await waitForRuns(page, afterTruncated + 1);
  assert.deepEqual(await page.locator("#tokens span").allTextContents(), ["[CLS]", "back", "to", "normal", ".", "[SEP]"]);
});

test("a long input comes in half precision with its error on screen; the head detail reads exact values", async () => {
  const words = readFileSync(join(ROOT, "README.md"), "utf8").replace(/[^A-Za-z ]+/g, " ").split(/\s+/).filter(Boolean);
  const text = words.slice(0, 280).join(" ");
  const oracle = runJson(text);
  const n = oracle.encoding.tokens.length;
  assert.ok(n > 260 && n < 512, `${n} tokens`);
  const before = await page.evaluate(() => window.attnscope.runs);
  await page.click('#tabs button[data-view="model"]');
  await page.locator("#text").fill(text);
  await waitForRuns(page, before + 1);
  const held = await page.evaluate(() => ({ values: window.attnscope.analysis().values, maxError: window.attnscope.analysis().maxError }));
  const status = await page.locator("#status").textContent();
  console.log(`${n} tokens: the page holds ${held.values}, largest error ${held.maxError}; status: ${status}`);
  assert.equal(held.values, "f16");
  assert.ok(held.maxError > 0 && held.maxError <= 2 ** -12);
  assert.match(status, /half-precision values \(largest error [0-9.e-]+\)/);
  // The thumbnails came pooled from the server and are drawn.
  assert.equal(await page.evaluate(() => window.attnscope.analysis().thumbSize), 96);
  const thumb = await distinctColours('canvas[data-layer="2"][data-head="5"]');
  console.log(`thumbnail 2:5 from the server's pooling: ${thumb.width} × ${thumb.height}, ${thumb.colours} colours`);
  assert.ok(thumb.width === 96 && thumb.colours > 20, JSON.stringify(thumb));
  await page.click('canvas[data-layer="2"][data-head="5"]');
  await page.waitForFunction(() => window.attnscope.analysis().isExact(2, 5));
  const canvas = page.locator("#detail-canvas");
  await canvas.waitFor();
  const g = await canvas.evaluate((c) => ({ left: Number(c.dataset.left), top: Number(c.dataset.top), cell: Number(c.dataset.cell) }));
  for (const [r, c] of [[3, 4], [0, 0], [n - 1, 1], [17, n - 1], [100, 101]]) {
    await canvas.hover({ position: { x: g.left + c * g.cell + g.cell / 2, y: g.top + r * g.cell + g.cell / 2 } });
    const text = await page.locator("#detail-readout").textContent();
    const m = text.match(/^(.*) → (.*): ([-0-9.e]+)/);
    assert.ok(m, `readout: ${text}`);
    const exact = oracle.attentions[2][5][r][c];
    console.log(`cell (${r}, ${c}): page ${m[3]}, run --format json ${exact}`);
    assert.equal(Math.fround(Number(m[3])), Math.fround(exact), "the readout is the exact float32");
  }
  // Another head of the same layer is still the half-precision copy, within the stated error.
  const other = await page.evaluate(() => Array.from(window.attnscope.analysis().head(2, 6).subarray(0, 2000)));
  const exactOther = oracle.attentions[2][6].flat().slice(0, 2000);
  const diff = Math.max(...other.map((v, i) => Math.abs(v - exactOther[i])));
  console.log(`head 2:6 (not opened): largest difference to the exact values ${diff} (stated ${held.maxError})`);
  assert.ok(diff <= held.maxError && diff > 0);
  await page.screenshot({ path: join(ARTIFACTS, "07b-long-input-exact-detail.png"), fullPage: true });
  await page.click('#tabs button[data-view="model"]');
});

test("the offline HTML export opens from a file with no server", async () => {
  const out = join(ARTIFACTS, "offline.html");
  execFileSync(BINARY, ["export", "--html", out, SENTENCE, "--model", MINILM, "--quiet"]);
  const offline = await browser.context.newPage();
  const requests = [];
  offline.on("request", (r) => requests.push(r.url()));
  await offline.goto(pathToFileURL(out).href + "?view=detail&layer=2&head=5");
  await offline.locator("#detail-canvas").waitFor();
  const g = await offline.locator("#detail-canvas").evaluate((c) => ({ left: Number(c.dataset.left), top: Number(c.dataset.top), cell: Number(c.dataset.cell) }));
  await offline.locator("#detail-canvas").hover({ position: { x: g.left + 4 * g.cell + g.cell / 2, y: g.top + 3 * g.cell + g.cell / 2 } });
  const text = await offline.locator("#detail-readout").textContent();
  const oracle = runJson(SENTENCE).attentions[2][5][3][4];
  console.log(`offline export readout: ${text} (run --format json: ${oracle})`);
  assert.equal(Math.fround(Number(text.match(/: ([-0-9.e]+)/)[1])), Math.fround(oracle));
  assert.deepEqual(requests.filter((u) => !u.startsWith("file:") && !u.startsWith("data:") && !u.startsWith("blob:")), [],
    "the offline file makes no network requests");
  await offline.screenshot({ path: join(ARTIFACTS, "08-offline-export.png"), fullPage: true });
  await offline.close();
});

test("no script errors on the page", () => {
  assert.deepEqual(scriptErrors, []);
});

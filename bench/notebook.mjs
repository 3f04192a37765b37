// Notebook benchmark (printed numbers, not a test): in one JupyterLab 4 and one Chromium, for 8 and 512
// tokens of all-MiniLM-L6-v2, the time from running a cell (Shift+Enter) to the view drawn, and the size of
// the cell's output in the saved notebook, for attnscope.head_view and BertViz's head_view (PyPI bertviz,
// the same attention). Offline, as this machine is: BertViz loads require.js, d3 and jQuery from a CDN.
//   bench/notebook.sh   (installs bertviz and the package, then runs this)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { launchBrowser, openNotebook, startLab, waitIdle } from "../tests/notebook/lab.mjs";

const REPEATS = Number(process.env.REPEATS ?? 3);
const WAIT_MS = 20000;  // a view not drawn by then counts as not drawn
const cell = (source) => ({ cell_type: "code", metadata: {}, execution_count: null, outputs: [], source });
const setup = `import os, attnscope, torch, numpy as np
from bertviz import head_view as bertviz_head_view
m = attnscope.from_pretrained(os.environ["ATTNSCOPE_TEST_MODEL"], threads=2)
inputs = {}
for n in (8, 512):
    text = "The output shows the attention values" if n == 8 else " ".join(["attention values"] * 400)
    out = m(text, truncation=True, max_length=n)
    inputs[n] = (out, out.tokens, tuple(torch.from_numpy(np.ascontiguousarray(a)) for a in out.attentions))
print({n: len(v[1]) for n, v in inputs.items()})`;
const cases = [];
for (const n of [8, 512]) {
  cases.push({ tool: "attnscope", n, source: `attnscope.head_view(inputs[${n}][0])` });
  cases.push({ tool: "bertviz", n, source: `bertviz_head_view(inputs[${n}][2], inputs[${n}][1])` });
}
const nb = { nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: "python3", display_name: "Python 3", language: "python" } },
  cells: [cell(setup), ...cases.map((c) => cell(c.source))] };

const dir = mkdtempSync(join(tmpdir(), "attnscope-bench-nb-"));
writeFileSync(join(dir, "bench.ipynb"), JSON.stringify(nb));
const lab = await startLab(dir);
const browser = await launchBrowser();
const page = await browser.context.newPage();
const results = cases.map((c) => ({ ...c, times: [], drawn: 0, bytes: 0 }));
try {
  await openNotebook(page, lab, "bench.ipynb");
  // The set-up cell first (model load, inputs); then each case cell on its own, several times.
  await page.locator(".jp-Cell").nth(0).click();
  await page.keyboard.press("Shift+Enter");
  await waitIdle(page, 180000);
  for (let r = 0; r < REPEATS; r++) {
    for (let k = 0; k < cases.length; k++) {
      const c = page.locator(".jp-Cell").nth(k + 1);
      await c.locator(".jp-InputArea-editor").click();
      await page.keyboard.press("Escape");
      const t0 = Date.now();
      await page.keyboard.press("Control+Enter");
      const drawn = await page.waitForFunction(([index, tool]) => {
        const cellEl = document.querySelectorAll(".jp-Cell")[index];
        if (!cellEl) return false;
        if (tool === "attnscope") return cellEl.querySelector('.attnscope-live[data-drawn="1"] canvas') !== null;
        // BertViz draws SVG into its container once require.js has loaded d3.
        return cellEl.querySelector('[id^="bertviz"] svg *') !== null;
      }, [k + 1, cases[k].tool], { timeout: WAIT_MS }).then(() => true).catch(() => false);
      const ms = Date.now() - t0;
      if (drawn) {
        results[k].times.push(ms);
        results[k].drawn++;
      }
      await waitIdle(page, 120000);
    }
  }
  // Output sizes as saved: the notebook written by Lab.
  await page.keyboard.press("Control+s");
  await page.waitForTimeout(3000);
  const saved = JSON.parse(readFileSync(join(dir, "bench.ipynb"), "utf8"));
  cases.forEach((_, k) => { results[k].bytes = JSON.stringify(saved.cells[k + 1].outputs).length; });
} finally {
  await browser.close();
  await lab.stop();
  rmSync(dir, { recursive: true, force: true });
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)] : NaN; };
console.log(`notebook views: cell run → view drawn (median of ${REPEATS}) and the cell's output as saved; JupyterLab 4, Chromium headless, no network`);
console.log("tool        tokens   drawn      run→drawn ms (median, range)   output MB");
for (const r of results) {
  const t = r.times.length ? `${median(r.times)} (${Math.min(...r.times)}–${Math.max(...r.times)})` : `not drawn in ${WAIT_MS / 1000} s`;
  console.log(`${r.tool.padEnd(11)} ${String(r.n).padStart(6)}   ${`${r.drawn}/${REPEATS}`.padEnd(8)}   ${t.padEnd(30)} ${(r.bytes / 1e6).toFixed(2)}`);
}

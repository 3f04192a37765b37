// Bundles the explorer for embedding: app.js (all TypeScript, minified), app.css, index.html, favicon.svg.
//   node build.mjs OUT_DIR
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] ?? join(here, "dist");
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(here, "src", "main.ts")],
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  outfile: join(out, "app.js"),
  legalComments: "none",
  logLevel: "warning",
});
for (const f of ["index.html", "style.css", "favicon.svg"]) {
  copyFileSync(join(here, f), join(out, f === "style.css" ? "app.css" : f));
}

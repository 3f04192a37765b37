// Bundles the notebook views for the Python package (cmake/python_views.cmake runs it):
//   notebook.js  a classic script (global attnscopeNb) that each static output inlines;
//   widget.js    the anywidget ESM module of attnscope.explore;
//   notebook.css the explorer's styles scoped to .attnscope-nb (a notebook page belongs to Jupyter).
//   node build-notebook.mjs OUT_DIR
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] ?? join(here, "dist-notebook");
mkdirSync(out, { recursive: true });
const common = { bundle: true, minify: true, target: "es2020", legalComments: "none", logLevel: "warning" };
await build({
  ...common,
  entryPoints: [join(here, "src", "notebookEntry.ts")],
  format: "iife",
  globalName: "attnscopeNb",
  outfile: join(out, "notebook.js"),
});
await build({ ...common, entryPoints: [join(here, "src", "widget.ts")], format: "esm", outfile: join(out, "widget.js") });
copyFileSync(join(here, "notebook.css"), join(out, "notebook.css"));

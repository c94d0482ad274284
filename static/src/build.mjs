// Builds static/dist from static/src and the nhsuk-frontend package: `npm run build`.
//
//   static/dist/css/main.css      static/src/main.scss, compressed
//   static/dist/js/               nhsuk-frontend's ES module bundle (and its source map)
//                                 and static/src/main.js, which starts it
//   static/dist/assets/           nhsuk-frontend's icons, logos, favicons, web manifest
//
// It then refuses to finish if the CSS points anywhere but our own files: a remote URL, a
// font host, or a url() with no file behind it (collectstatic's manifest storage would
// fail on the last one later, with a less helpful message).

import { copyFileSync, cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import * as sass from "sass";

const srcDir = dirname(fileURLToPath(import.meta.url));
const staticDir = resolve(srcDir, "..");
const distDir = join(staticDir, "dist");
const require = createRequire(import.meta.url);
const frontendDir = join(dirname(require.resolve("nhsuk-frontend/package.json")), "dist", "nhsuk");
const frontendVersion = require("nhsuk-frontend/package.json").version;

function fail(message) {
  console.error(`build: ${message}`);
  process.exit(1);
}

rmSync(distDir, { recursive: true, force: true });
for (const sub of ["css", "js", "assets"]) {
  mkdirSync(join(distDir, sub), { recursive: true });
}

// --- CSS -------------------------------------------------------------------------------------
const cssPath = join(distDir, "css", "main.css");
const { css } = sass.compile(join(srcDir, "main.scss"), {
  style: "compressed",
  sourceMap: false,
  importers: [new sass.NodePackageImporter()],
  quietDeps: true,
});
writeFileSync(cssPath, `${css}\n`);

// --- JavaScript and assets -------------------------------------------------------------------
for (const name of ["nhsuk-frontend.min.js", "nhsuk-frontend.min.js.map"]) {
  copyFileSync(join(frontendDir, name), join(distDir, "js", name));
}
copyFileSync(join(srcDir, "main.js"), join(distDir, "js", "main.js"));
cpSync(join(frontendDir, "assets"), join(distDir, "assets"), { recursive: true });

// --- Checks ----------------------------------------------------------------------------------
if (/https?:/i.test(css)) fail("main.css contains an http(s) URL; nothing may load from elsewhere");
if (css.includes("assets.nhs.uk")) fail("main.css refers to assets.nhs.uk");
if (css.includes("@font-face")) fail("main.css declares a @font-face; we use system fonts only");

const missing = [];
let checked = 0;
for (const match of css.matchAll(/url\(\s*(['"]?)([^'")]+)\1\s*\)/g)) {
  const url = match[2].trim();
  if (url.startsWith("data:") || url.startsWith("#")) continue;
  if (url.startsWith("/")) fail(`main.css has a root-relative url(${url}); use a relative path`);
  const target = resolve(dirname(cssPath), url.split(/[?#]/)[0]);
  checked += 1;
  if (!existsSync(target)) missing.push(url);
}
if (missing.length) fail(`main.css refers to files that are not in static/dist: ${missing.join(", ")}`);

console.log(
  `build: nhsuk-frontend ${frontendVersion}, sass ${sass.info.split("\t")[1]}: ` +
    `${relative(staticDir, cssPath)} (${css.length} bytes, ${checked} url() checked)`,
);

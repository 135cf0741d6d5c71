// Copies the browser files this theme ships from node_modules into static/,
// so the site never loads anything from a CDN. Run with `npm run vendor`.
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const out = path.join(root, "static", "themes", "default");
const files = [
  // The CSP build: evaluates x-* expressions without eval(), so script-src needs no 'unsafe-eval'.
  ["node_modules/@alpinejs/csp/dist/cdn.min.js", "js/alpine.min.js"],
  ["node_modules/@fontsource-variable/inter/files/inter-latin-wght-normal.woff2", "fonts/inter-latin-wght-normal.woff2"],
  ["node_modules/@fontsource-variable/inter/files/inter-latin-ext-wght-normal.woff2", "fonts/inter-latin-ext-wght-normal.woff2"],
  ["node_modules/@fontsource-variable/inter/LICENSE", "fonts/LICENSE-Inter.txt"],
];

for (const [from, to] of files) {
  const target = path.join(out, to);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(path.join(root, from), target);
  console.log(`vendored ${from} -> static/themes/default/${to}`);
}

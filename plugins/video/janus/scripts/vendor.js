// Copies the browser files this plugin ships from node_modules into static/,
// so the room never loads anything from a CDN. Run with `npm install && npm run vendor`.
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const out = path.join(root, "static", "plugins", "janus", "vendor");
const files = [
  // ES module exporting Janus; it expects webrtc-adapter as a dependency (given by janus-room.js).
  ["node_modules/janus-gateway/npm/dist/janus.es.js", "janus.es.js"],
  ["node_modules/janus-gateway/COPYING", "LICENSE-janus-gateway.txt"],
  // Sets window.adapter (browser shims and detection janus.js relies on).
  ["node_modules/webrtc-adapter/out/adapter.js", "adapter.js"],
  ["node_modules/webrtc-adapter/LICENSE.md", "LICENSE-webrtc-adapter.txt"],
];

for (const [from, to] of files) {
  const target = path.join(out, to);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(path.join(root, from), target);
  console.log(`vendored ${from} -> static/plugins/janus/vendor/${to}`);
}

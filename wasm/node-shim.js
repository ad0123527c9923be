// Placed before emscripten's ES module (--extern-pre-js): its Node code
// path (emscripten 3.1.6) expects CommonJS's require and __dirname, which
// an ES module lacks; browsers skip this.
let require, __dirname;
if (typeof process === "object" && process.versions && process.versions.node) {
  const { createRequire } = await import("node:module");
  const { dirname } = await import("node:path");
  const { fileURLToPath } = await import("node:url");
  require = createRequire(import.meta.url);
  __dirname = dirname(fileURLToPath(import.meta.url));
}

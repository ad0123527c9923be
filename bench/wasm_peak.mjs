// Times bench/wasm_peak.c (`make wasm-peak`): the SIMD128 i16 dot-product
// peak of one core in GMAC/s, best of 5 timings of 100 calls after 50
// calls that let the engine tier the function up (a single long call
// would stay in V8's baseline compiler).
//   node bench/wasm_peak.mjs [build/wasm/peak.wasm]
import { readFileSync } from "node:fs";

const path = process.argv[2] || "build/wasm/peak.wasm";
const { instance } = await WebAssembly.instantiate(readFileSync(path), {});
const run = instance.exports.wasm_peak_run;
const chunk = 1000000;
run(chunk, 1);
for (let r = 0; r < 50; r++) run(chunk, 0);
let best = 0;
for (let rep = 0; rep < 5; rep++) {
  const t0 = performance.now();
  for (let r = 0; r < 100; r++) run(chunk, 0);
  best = Math.max(best, (100 * chunk * 48) / ((performance.now() - t0) * 1e6));
}
console.log(`peak_simd128_i16_gmacs_per_core ${best.toFixed(1)}`);

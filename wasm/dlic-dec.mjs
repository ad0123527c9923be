#!/usr/bin/env node
// dlic-dec in WebAssembly: node dlic-dec.mjs [--model FILE] [--lite] IN.dlic OUT.ppm
// Writes a binary PPM (P6; gray streams as P5 when OUT ends in .pgm) and
// prints the SPEC §9 hash of the pixels with --hash; exit status 0 on
// success, 1 with a one-line error on stderr, 2 for usage errors, like
// dlic-dec. The model defaults to weights/default.dlicm beside the build.
import { readFileSync, writeFileSync, renameSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createDecoder } from "./dlic.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const usage = "usage: node dlic-dec.mjs [--model FILE] [--lite] [--hash] IN.dlic OUT.ppm|OUT.pgm";
let model = join(here, "default.dlicm"), hash = false, lite = false;
const files = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--model" && i + 1 < argv.length) model = argv[++i];
  else if (argv[i] === "--hash") hash = true;
  else if (argv[i] === "--lite") lite = true;
  else if (argv[i] === "-h" || argv[i] === "--help") { console.log(usage); process.exit(0); }
  else if (argv[i].startsWith("-") && argv[i] !== "-") { console.error(`dlic-dec.mjs: unknown option ${argv[i]}\n${usage}`); process.exit(2); }
  else files.push(argv[i]);
}
if (files.length !== 2) { console.error(usage); process.exit(2); }
const [input, output] = files;
let dec;
try {
  let bytes;
  try { bytes = readFileSync(model); } catch (e) { throw new Error(`cannot read model ${model}: ${e.code || e.message}`); }
  // Node's fetch cannot read a path: hand emscripten the module's bytes
  dec = await createDecoder(bytes, { wasmBinary: readFileSync(join(here, "dlic-core.wasm")) });
  let data;
  try { data = readFileSync(input); } catch (e) { throw new Error(`${input}: cannot read: ${e.code || e.message}`); }
  let pic;
  if (lite && !dec.hasLite) throw new Error(`--lite: the model ${model} has no lite transform (g_s lite)`);
  try { pic = dec.decode(data, { lite }); } catch (e) { e.message = `${input}: ${e.message.replace(/^dlic: /, "")}`; throw e; }
  const grayOut = output.endsWith(".pgm") && pic.gray;
  const n = pic.width * pic.height, ch = grayOut ? 1 : 3;
  const head = Buffer.from(`${grayOut ? "P5" : "P6"}\n${pic.width} ${pic.height}\n255\n`);
  const px = Buffer.alloc(n * ch);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < ch; c++) px[i * ch + c] = pic.rgba[i * 4 + c];
  // never a half-written output: a temporary file, renamed when whole
  const tmp = `${output}.tmp${process.pid}`;
  try {
    writeFileSync(tmp, Buffer.concat([head, px]));
    renameSync(tmp, output);
  } catch (e) {
    try { unlinkSync(tmp); } catch (_) { /* not there */ }
    throw new Error(`${output}: cannot write: ${e.code || e.message}`);
  }
  if (hash) console.log(pic.hash);
} catch (e) {
  console.error(`dlic-dec.mjs: ${e.message}`);
  process.exit(1);
}

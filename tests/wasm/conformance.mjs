// The WebAssembly decoder against the conformance suite (conformance/README.md):
// every stream of conformance/streams.txt (default model) and of
// conformance/context/streams.txt (its model) must decode to the
// manifest's pixel hash, and every must-fail stream must throw the
// library's error. Usage: node tests/wasm/conformance.mjs BUILD/wasm
import { readFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2];
const { createDecoder } = await import(join(process.cwd(), dir, "dlic.mjs"));
const wasmBinary = readFileSync(join(dir, "dlic-core.wasm"));
let fails = 0, n = 0;
// include/dlic/dlic.h's enum dlic_error
const ERRORS = ["OK", "INVALID_ARG", "NOMEM", "NOT_DLIC", "TRUNCATED", "CORRUPT", "CHECKSUM",
  "UNSUPPORTED", "MODEL_MISMATCH", "BAD_MODEL", "LIMIT", "STATE"];
const fail = (msg) => { console.log(`FAIL: ${msg}`); fails++; };

function manifest(path) {
  const lines = readFileSync(path, "utf8").split("\n");
  const weights = (lines.find((l) => l.startsWith("# weights ")) || "").split(" ")[2];
  const rows = lines.filter((l) => l && !l.startsWith("#")).map((l) => l.split(" "));
  return { weights, rows };
}

async function suite(path, streamDir, defaultModel) {
  const { weights, rows } = manifest(path);
  const dec = await createDecoder(readFileSync(weights || defaultModel), { wasmBinary });
  for (const r of rows) {
    const [name, , , w, h] = r, want = r[9];
    n++;
    try {
      const pic = dec.decode(readFileSync(join(streamDir, `${name}.dlic`)));
      if (pic.width !== +w || pic.height !== +h) fail(`${name}: ${pic.width}x${pic.height}, want ${w}x${h}`);
      else if (pic.hash !== want) fail(`${name}: ${pic.hash}, want ${want}`);
    } catch (e) {
      fail(`${name}: ${e.message}`);
    }
  }
  return dec;
}

const dec = await suite("conformance/streams.txt", "conformance/streams", join(dir, "default.dlicm"));
await suite("conformance/context/streams.txt", "conformance/context/streams", null);
// must fail: the library's error, as dlic-dec prints it
for (const l of readFileSync("conformance/mustfail/cases.txt", "utf8").split("\n")) {
  if (!l || l.startsWith("#")) continue;
  const [name, decExit, , err, substr] = l.split("|");
  if (decExit === "0") continue;
  n++;
  try {
    dec.decode(readFileSync(`conformance/mustfail/${name}.dlic`));
    fail(`${name}: decoded, must fail`);
  } catch (e) {
    // "-": refused before the library by dlic-dec (an empty file); the
    // library says it is not a stream
    const want = err === "-" ? "NOT_DLIC" : err;
    if (ERRORS[e.code] !== want) fail(`${name}: ${ERRORS[e.code] || e.code} (${e.message}), want ${want}`);
    else if (err !== "-" && !e.message.includes(substr)) fail(`${name}: "${e.message}", want "${substr}"`);
  }
}
console.log(fails ? `wasm conformance: ${fails} of ${n} FAILED` : `wasm conformance: ${n} streams as the manifests say`);
process.exit(fails ? 1 : 0);

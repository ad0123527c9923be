// DLIC decoder for the browser and Node (README, "In the browser").
//
//   import { createDecoder } from "./dlic.mjs";
//   const dec = await createDecoder(modelBytes);   // a .dlicm file's bytes
//   const { width, height, rgba, gray, hash } = dec.decode(streamBytes);
//   dec.decode(streamBytes, { lite: true });  // the model's g_s lite (SPEC §8.7)
//   ctx.putImageData(new ImageData(rgba, width, height), 0, 0);
//   dec.hashRGBA(ctx.getImageData(0, 0, width, height).data, width, height);
//
// decode() returns the pixels as RGBA (a Uint8ClampedArray of its own),
// gray streams as R = G = B, and the SPEC §9 hash of the RGB pixels;
// errors are thrown as Error with the library's message (err.code: the
// dlic_error number). The same pixels as the native decoder, bit for bit.
import DlicCore from "./dlic-core.mjs";

export async function createDecoder(model, options = {}) {
  const m = await DlicCore(options);
  const call = (name, ret, args, vals) => m.ccall(name, ret, args, vals);
  const fail = (code) => {
    const e = new Error("dlic: " + m.UTF8ToString(call("dlicw_error", "number", ["number"], [code])));
    e.code = code;
    return e;
  };
  const copyIn = (bytes) => {
    const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    const p = m._malloc(u8.length || 1);
    if (!p) throw fail(2);
    m.HEAPU8.set(u8, p);
    return [p, u8.length];
  };
  {
    const [p, n] = copyIn(model);
    const err = call("dlicw_open", "number", ["number", "number"], [p, n]);
    m._free(p);
    if (err) throw fail(err);
  }
  return {
    version: m.UTF8ToString(call("dlicw_version", "number", [], [])),
    // lite: synthesise with the model's g_s lite, about twice as fast
    hasLite: call("dlicw_has_lite", "number", [], []) !== 0,
    decode(stream, { lite = false } = {}) {
      const [p, n] = copyIn(stream);
      const err = call("dlicw_decode", "number", ["number", "number", "number"],
                       [p, n, lite ? 1 : 0]);
      m._free(p);
      if (err) throw fail(err);
      const width = call("dlicw_width", "number", [], []);
      const height = call("dlicw_height", "number", [], []);
      const at = call("dlicw_rgba", "number", [], []);
      const rgba = new Uint8ClampedArray(m.HEAPU8.slice(at, at + width * height * 4).buffer);
      const out = {
        width, height, rgba,
        gray: call("dlicw_gray", "number", [], []) !== 0,
        hash: m.UTF8ToString(call("dlicw_hash", "number", [], [])),
      };
      call("dlicw_release", null, [], []);
      return out;
    },
    // SPEC §9 hash of the RGB of RGBA pixels (e.g. a canvas's ImageData)
    hashRGBA(rgba, width, height) {
      const [p] = copyIn(rgba);
      const h = call("dlicw_hash_rgba", "number", ["number", "number", "number"], [p, width, height]);
      m._free(p);
      if (!h) throw fail(2);
      return m.UTF8ToString(h);
    },
    close() { call("dlicw_close", null, [], []); },
  };
}

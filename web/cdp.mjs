// Drives headless Chromium over the DevTools protocol for web/test-browser.sh:
//   node --experimental-websocket web/cdp.mjs CHROME URL STREAM...
// opens URL (the viewer page), waits for its decoder, then for each STREAM
// (a path the server serves) decodes it in the page as a user's file would
// be, reads the canvas back, and prints one JSON line: the canvas's pixel
// hash (SPEC §9), the decoder's, the decode time in ms (real time), or the
// error message.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";

const [chrome, url, ...streams] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), "dlic-cdp-"));
const proc = spawn(chrome, ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
  "--remote-debugging-port=0", `--user-data-dir=${profile}`, "about:blank"], { stdio: ["ignore", "ignore", "pipe"], detached: true });
// Ends Chromium and its helper processes (its own process group: spawned
// detached), then removes its profile. Chromium may already have gone (an
// exit code, or a signal: then "exit" has been emitted and must not be
// awaited). Helpers that outlive it can still be writing to the profile,
// so the group is killed before the removal; a profile that still cannot be
// removed is a warning, not a failed test.
const killGroup = (sig) => {
  try {
    process.kill(-proc.pid, sig);
  } catch {
    /* the group is gone */
  }
};
const cleanup = async () => {
  if (proc.exitCode === null && proc.signalCode === null) {
    const gone = once(proc, "exit");
    killGroup("SIGTERM");
    await Promise.race([gone, new Promise((r) => setTimeout(r, 10000).unref())]);
  }
  killGroup("SIGKILL");
  try {
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  } catch (e) {
    console.error(`cdp.mjs: warning: ${profile} not removed: ${e.message}`);
  }
};
// Chromium is not in our process group, so an interrupt must end it too.
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"])
  process.once(sig, async () => { await cleanup(); process.exit(128 + os.constants.signals[sig]); });
const timer = setTimeout(async () => { console.error("cdp.mjs: timed out"); await cleanup(); process.exit(1); },
  120000 + 20000 * streams.length);

const wsUrl = await new Promise((resolve, reject) => {
  let err = "";
  proc.stderr.on("data", (d) => {
    err += d;
    const m = err.match(/DevTools listening on (ws:\/\/\S+)/);
    if (m) resolve(m[1]);
  });
  proc.on("exit", (c) => reject(new Error(`chromium exited (${c}): ${err.trim().split("\n").pop()}`)));
});
const browser = new WebSocket(wsUrl);
await new Promise((r) => browser.addEventListener("open", r, { once: true }));
let id = 0;
const pending = new Map();
browser.addEventListener("message", (ev) => {
  const msg = JSON.parse(ev.data);
  if (msg.id && pending.has(msg.id)) { pending.get(msg.id)(msg); pending.delete(msg.id); }
});
const send = (method, params = {}, sessionId) => new Promise((resolve, reject) => {
  const i = ++id;
  pending.set(i, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result)));
  browser.send(JSON.stringify({ id: i, method, params, ...(sessionId ? { sessionId } : {}) }));
});

try {
  const { targetId } = await send("Target.createTarget", { url });
  const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
  const evaluate = async (expression) => {
    const r = await send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true }, sessionId);
    if (r.exceptionDetails) throw new Error(r.exceptionDetails.exception?.description || r.exceptionDetails.text);
    return r.result.value;
  };
  // the page's module has run and its decoder is ready
  for (let i = 0; ; i++) {
    if (await evaluate("typeof window.dlicReady !== 'undefined'")) break;
    if (i > 200) throw new Error("the page did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
  await evaluate("window.dlicReady");
  for (const s of streams) {
    const v = await evaluate(`(async () => {
      const bytes = new Uint8Array(await (await fetch(${JSON.stringify(s)})).arrayBuffer());
      try {
        const pic = window.dlicShow(bytes, ${JSON.stringify(s)});
        const c = document.getElementById("canvas");
        const data = c.getContext("2d").getImageData(0, 0, pic.width, pic.height).data;
        return { stream: ${JSON.stringify(s)}, canvas: window.dlicHashRGBA(data, pic.width, pic.height),
                 decoded: pic.hash, ms: pic.ms };
      } catch (e) {
        return { stream: ${JSON.stringify(s)}, error: e.message };
      }
    })()`);
    console.log(JSON.stringify(v));
  }
} catch (e) {
  console.error(`cdp.mjs: ${e.message}`);
  clearTimeout(timer);
  await cleanup();
  process.exit(1);
}
clearTimeout(timer);
browser.close();
await cleanup();
process.exit(0);

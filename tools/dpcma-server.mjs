// startDpcma runs a built dpcma server (DPCMA_BIN) for the Node test
// suites in tools/: on a port the system picks (--addr 127.0.0.1:0), so
// that no other process can answer in its place, and resolves with its
// base URL once it logs that it is ready. Its log goes to this process's
// standard error. No dependencies: each suite imports it by path.
// startProgram does the same for any program that logs a JSON line with
// a ready message and its url (tools/secondarycare does).
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

export function dpcmaBin() {
  const bin = process.env.DPCMA_BIN;
  if (!bin) throw new Error("set DPCMA_BIN to a built dpcma server binary (go build -o dpcma ./server)");
  return bin;
}

// startDpcma resolves with { base, stop } once the server is ready.
export function startDpcma(args, readyWithinMs) {
  return startProgram(dpcmaBin(), [...args, "--addr", "127.0.0.1:0", "--log-format", "json"], "dpcma ready", readyWithinMs);
}

// startProgram runs bin with args and resolves with { base, stop } once it
// logs the JSON line {"msg": readyMsg, "url": ...} on standard error.
export function startProgram(bin, args, readyMsg, readyWithinMs) {
  const child = spawn(bin, args, { stdio: ["ignore", "inherit", "pipe"] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new Error(`${bin} was not ready after ${readyWithinMs} ms`));
    }, readyWithinMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${bin} exited (${code}) before it was ready`));
    });
    createInterface({ input: child.stderr }).on("line", (line) => {
      process.stderr.write(line + "\n");
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        return; // a progress line
      }
      if (entry.msg === readyMsg) {
        clearTimeout(timer);
        resolve({ base: entry.url.replace(/\/$/, ""), stop: () => child.kill("SIGTERM") });
      }
    });
  });
}

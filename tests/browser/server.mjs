// Starts `galley serve` on a free loopback port over a temp data dir, and runs its CLI.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

export class GalleyServer {
  constructor(bin) {
    this.bin = bin;
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), "galley-browser-"));
    this.dataDir = path.join(this.root, "data");
    this.log = [];
  }

  /** Runs a CLI command against the same data dir; returns stdout. */
  cli(args, stdin = "") {
    const r = spawnSync(this.bin, [...args, "--data-dir", this.dataDir], { cwd: this.root, input: stdin, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`galley ${args.join(" ")} failed: ${r.stderr}`);
    return r.stdout;
  }

  async start() {
    const port = await freePort();
    this.base = `http://127.0.0.1:${port}`;
    // cwd is the temp folder, so no galley.toml of the developer's is picked up.
    this.process = spawn(
      this.bin,
      ["serve", "--listen", `127.0.0.1:${port}`, "--base-url", this.base, "--data-dir", this.dataDir],
      { cwd: this.root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, RUST_LOG: "warn" } },
    );
    this.process.on("error", (e) => this.log.push(`cannot start ${this.bin}: ${e.message}`));
    for (const stream of [this.process.stdout, this.process.stderr]) {
      stream.on("data", (chunk) => this.log.push(chunk.toString()));
    }
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline) {
      if (this.process.exitCode !== null || this.log.some((l) => l.startsWith("cannot start"))) throw new Error(`galley exited: ${this.log.join("")}`);
      try {
        const r = await fetch(`${this.base}/health`);
        if (r.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`galley did not answer /health within 20 s: ${this.log.join("")}`);
  }

  /** Pushes like nuget.exe: PUT multipart with the API key header. */
  async push(key, bytes) {
    const form = new FormData();
    form.append("package", new Blob([bytes]), "package.nupkg");
    const r = await fetch(`${this.base}/api/v2/package/`, { method: "PUT", body: form, headers: { "X-NuGet-ApiKey": key } });
    if (r.status !== 201) throw new Error(`push answered ${r.status}: ${await r.text()}`);
  }

  /** Stops the server by its PID (SIGTERM, then SIGKILL) and removes the temp folder. */
  async stop() {
    const child = this.process;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      process.kill(child.pid, "SIGTERM");
      const timer = setTimeout(() => child.exitCode === null && process.kill(child.pid, "SIGKILL"), 10000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

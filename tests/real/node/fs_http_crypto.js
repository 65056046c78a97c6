// fs_http_crypto.js - node's fs (promise and callback APIs), an http server with 200 concurrent requests from the same process, and crypto (pbkdf2, scrypt) on libuv's thread pool; prints a deterministic summary.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const http = require("http");
const os = require("os");
const path = require("path");
const { promisify } = require("util");

const FILES = 20;
const REQUESTS = 200;

function sha(text) {
  return crypto.createHash("sha256").update(text).digest("hex").slice(0, 16);
}

function contentOf(index) {
  return `file ${index}\n`.repeat(100 + index * 37);
}

// Writes FILES files into a temporary directory, the even ones through fs.promises and the odd
// ones through the callback API, all at once; reads, stats and lists them back the same way.
async function fileSystem() {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "sprig-node-"));
  try {
    const writeCallback = promisify((file, data, done) => fs.writeFile(file, data, done));
    await Promise.all(Array.from({ length: FILES }, (_, index) => {
      const file = path.join(dir, `f${String(index).padStart(2, "0")}.txt`);
      return index % 2 === 0 ? fs.promises.writeFile(file, contentOf(index)) : writeCallback(file, contentOf(index));
    }));
    const names = (await fs.promises.readdir(dir)).sort();
    const listedByCallback = await new Promise((resolve, reject) =>
      fs.readdir(dir, (error, entries) => (error ? reject(error) : resolve(entries.sort()))));
    const checks = await Promise.all(names.map(async (name, index) => {
      const file = path.join(dir, name);
      const [text, stat, viaCallback] = await Promise.all([
        fs.promises.readFile(file, "utf8"),
        fs.promises.stat(file),
        new Promise((resolve, reject) =>
          fs.readFile(file, "utf8", (error, data) => (error ? reject(error) : resolve(data)))),
      ]);
      const statByCallback = await new Promise((resolve, reject) =>
        fs.stat(file, (error, stats) => (error ? reject(error) : resolve(stats))));
      const ok = text === contentOf(index) && viaCallback === text && stat.size === Buffer.byteLength(text) &&
        statByCallback.size === stat.size && stat.isFile();
      return `${name} ${stat.size} ${sha(text)} ${ok ? "ok" : "WRONG"}`;
    }));
    const sameListing = names.join(",") === listedByCallback.join(",");
    console.log(`fs: ${names.length} files, readdir ${sameListing ? "same" : "DIFFERENT"} both ways`);
    for (const line of checks) {
      console.log(`fs: ${line}`);
    }
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

function bodyFor(url) {
  return `answer to ${url}: ${sha(url)}\n`.repeat(1 + (url.length % 7));
}

// An http server on 127.0.0.1, port 0, and REQUESTS requests to it at once, each on its own
// connection (agent: false).
async function httpServerAndClient() {
  const server = http.createServer((request, response) => {
    const body = bodyFor(request.url);
    // Answer a little later, so that all the requests are in flight together.
    setTimeout(() => {
      response.writeHead(200, { "content-type": "text/plain", "content-length": Buffer.byteLength(body) });
      response.end(body);
    }, 5);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  const fetchOne = (index) => new Promise((resolve, reject) => {
    const url = `/item/${index}?q=${index * 7}`;
    const request = http.get({ host: "127.0.0.1", port, path: url, agent: false }, (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () => resolve({ url, status: response.statusCode, body: Buffer.concat(chunks).toString() }));
      response.on("error", reject);
    });
    request.setTimeout(20000, () => request.destroy(new Error(`timeout on ${url}`)));
    request.on("error", reject);
  });
  try {
    const answers = await Promise.all(Array.from({ length: REQUESTS }, (_, index) => fetchOne(index)));
    const right = answers.filter((answer) => answer.status === 200 && answer.body === bodyFor(answer.url)).length;
    const bytes = answers.reduce((sum, answer) => sum + answer.body.length, 0);
    const digest = sha(answers.map((answer) => answer.body).join(""));
    console.log(`http: ${REQUESTS} requests, ${right} right bodies, ${bytes} bytes, digest ${digest}`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

// Several pbkdf2 and scrypt calls at once: each runs on a thread of libuv's pool.
async function cryptoOnThreadPool() {
  const pbkdf2 = promisify(crypto.pbkdf2);
  const scrypt = promisify(crypto.scrypt);
  const jobs = [];
  for (let index = 0; index < 6; index++) {
    jobs.push(pbkdf2(`password ${index}`, `salt ${index}`, 20000, 32, "sha256")
      .then((key) => `pbkdf2 ${index} ${key.toString("hex")}`));
  }
  for (let index = 0; index < 4; index++) {
    jobs.push(scrypt(`secret ${index}`, `salt ${index}`, 32, { N: 4096, r: 8, p: 1 })
      .then((key) => `scrypt ${index} ${key.toString("hex")}`));
  }
  jobs.push(promisify(crypto.randomBytes)(64).then((bytes) => `randomBytes ${bytes.length} bytes`));
  for (const line of await Promise.all(jobs)) {
    console.log(`crypto: ${line}`);
  }
}

async function main() {
  await fileSystem();
  await httpServerAndClient();
  await cryptoOnThreadPool();
  console.log("done");
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

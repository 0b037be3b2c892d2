// Browser test of `veille serve`: Debian's chromium, headless, against a store made from
// corpora/articles. Filters for raises, opens a document, checks the DOM, saves a screenshot.
// Run by .ci/run; by hand: (cd tests/browser && npm ci && node page.test.mjs).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
const bin = process.env.VEILLE_BIN || join(root, "target/debug/veille");
const outDir = join(root, "out");

if (!existsSync(chromiumPath)) {
  console.log(`SKIP: ${chromiumPath} not found (apt-get install chromium)`);
  process.exit(0);
}
if (!existsSync(bin)) {
  console.log(`SKIP: ${bin} not built (cargo build)`);
  process.exit(0);
}
const { chromium } = await import("playwright-core");

const tmp = mkdtempSync(join(tmpdir(), "veille-browser-"));
const db = join(tmp, "articles.db");
const corpus = join(root, "corpora/articles");

// The store: with the model when it is installed (entities come from it), else the grammar alone.
let withModel = process.env.VEILLE_NO_MODEL ? false : true;
let made = withModel ? spawnSync(bin, ["analyze", corpus, "--db", db], { encoding: "utf8" }) : null;
if (!made || made.status !== 0) {
  if (made) console.log(`note: analyze with the model failed, using --no-model: ${made.stderr.trim().split("\n").pop()}`);
  withModel = false;
  rmSync(db, { force: true });
  made = spawnSync(bin, ["analyze", "--no-model", corpus, "--db", db], { encoding: "utf8" });
}
assert.equal(made.status, 0, made.stderr);
console.log(`store: ${made.stdout.trim().split("\n")[0]} (${withModel ? "model" : "grammar only"})`);

// The server on a free loopback port: it prints the address it got.
const server = spawn(bin, ["serve", "--no-model", "--db", db, "--addr", "127.0.0.1:0"], { stdio: ["ignore", "inherit", "pipe"] });
const base = await new Promise((ok, fail) => {
  let err = "";
  const timer = setTimeout(() => fail(new Error(`serve did not start: ${err}`)), 30000);
  server.stderr.on("data", (d) => {
    err += d;
    const m = err.match(/http:\/\/127\.0\.0\.1:\d+/);
    if (m) { clearTimeout(timer); ok(m[0]); }
  });
  server.on("exit", (code) => fail(new Error(`serve exited (${code}): ${err}`)));
});

const profile = mkdtempSync(join(tmpdir(), "veille-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath,
  headless: true,
  viewport: { width: 1440, height: 960 },
  locale: "en-GB",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const problems = [];
let failed = false;
try {
  const page = context.pages()[0] || (await context.newPage());
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  // Nothing may be fetched from anywhere but the server itself.
  page.on("request", (r) => { if (!r.url().startsWith(base)) problems.push(`outside request: ${r.url()}`); });

  await page.goto(`${base}/`);
  await page.waitForSelector("#records tbody tr");
  const all = await page.locator("#records tbody tr").count();

  // Filter for raises.
  await page.selectOption("select[name=action]", "raise");
  await page.click("#apply");
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll("#records tbody tr")];
    return rows.length > 0 && rows.every((r) => r.dataset.action === "raise");
  });
  const actions = await page.locator("#records tbody td.action").allTextContents();
  const api = await (await fetch(`${base}/api/records?action=raise&sort=amount&limit=200`)).json();
  assert.ok(actions.length > 0 && actions.length < all, `raises: ${actions.length} of ${all} rows`);
  assert.ok(actions.every((a) => a === "raise"), `non-raise rows: ${actions}`);
  assert.equal(actions.length, api.count, "rows shown differ from /api/records");
  assert.ok(page.url().includes("action=raise"), "the filter is kept in the address");

  // English amounts with the exact value on hover.
  const cell = page.locator("#records tbody tr").first().locator("span.amount");
  const en = await cell.textContent();
  const exact = await cell.getAttribute("title");
  assert.match(en, /^≈?[€$£]?[\d.,–]+(k|m|bn)?( ?[A-Z]{3})?$|^[A-Z]{3} [\d.,–]+(k|m|bn)?$/, `English amount: ${en}`);
  assert.match(exact, /^\d{1,3}(,\d{3})*(\.\d+)?( – \d{1,3}(,\d{3})*(\.\d+)?)? [A-Z]{3}$/, `exact value: ${exact}`);

  // Sortable: actor ascending after a click on its header.
  await page.click("th[data-key=actor]");
  const actors = await page.locator("#records tbody td.actor").allTextContents();
  const sorted = [...actors].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0));
  assert.deepEqual(actors, sorted, "rows not sorted by actor");

  // Charts drawn from the rows.
  assert.ok((await page.locator("#by-actor svg rect.bar").count()) > 0, "no bars by actor");
  assert.ok((await page.locator("#by-period svg rect.bar").count()) > 0, "no bars by period");

  // Open the document of the first row: its text, highlighted, with the record's evidence marked.
  const row = page.locator("#records tbody tr").first();
  const docId = await row.getAttribute("data-doc");
  const evidence = (await row.locator("td.evidence-cell").textContent()).trim();
  await row.click();
  await page.waitForSelector("#doc:not([hidden]) #doc-text mark.fig");
  const doc = await (await fetch(`${base}/api/documents/${docId}?text=true`)).json();
  assert.equal(await page.locator("#doc-text").textContent(), doc.text, "the highlighted text is not the document's text");
  assert.equal(await page.locator("#doc-title").textContent(), doc.title || doc.path);
  const figs = await page.locator("#doc-text mark.fig").count();
  assert.ok(figs >= doc.figures.length, `${figs} figure marks for ${doc.figures.length} figures`);
  const ents = await page.locator("#doc-text mark.ent").count();
  if (withModel) assert.ok(ents >= doc.entities.length && doc.entities.length > 0, `${ents} entity marks for ${doc.entities.length} entities`);
  const marked = (await page.locator("#doc-text .evidence.current").allTextContents()).join("").trim();
  assert.equal(marked, evidence, "the selected record's evidence is not the marked sentence");
  assert.ok((await page.locator("#doc-text .evidence").count()) >= doc.records.length);
  const figTitle = await page.locator("#doc-text mark.fig-money").first().getAttribute("title");
  assert.match(figTitle, /^money.*: [\d,. –]+ [A-Z]{3}/, `figure hover: ${figTitle}`);

  // French readers: 1,2 Md€.
  await page.selectOption("#numlang", "fr");
  const fr = await page.locator("#records tbody tr").first().locator("span.amount").textContent();
  assert.match(fr, /^≈?[\d\s\u202f,–]+\u00a0(k|M|Md|Bn)?([€$£¥]|\s?[A-Z]{3})?$/, `French amount: ${fr}`);
  await page.selectOption("#numlang", "en");

  mkdirSync(outDir, { recursive: true });
  const shot = join(outDir, "serve-page.png");
  await page.screenshot({ path: shot });
  await page.screenshot({ path: join(outDir, "serve-page-full.png"), fullPage: true });
  console.log(`raises shown: ${actions.length} of ${all} records; document ${doc.path}: ${figs} figure marks, ${ents} entity marks; screenshot ${shot}`);
  assert.deepEqual(problems, [], problems.join("\n"));
  console.log("ok: browser test of veille serve");
} catch (e) {
  failed = true;
  console.error(`FAIL: ${e.message}`);
  if (problems.length) console.error(problems.join("\n"));
  try {
    mkdirSync(outDir, { recursive: true });
    await context.pages()[0]?.screenshot({ path: join(outDir, "serve-page-failed.png") });
  } catch {}
} finally {
  await context.close();
  server.kill("SIGTERM");
  rmSync(profile, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

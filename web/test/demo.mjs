// The demo's first impression in headless Chromium with a Chinese browser: the page opens in
// zh-CN, and an alert shows in the panel before the deadline.
//
//   node web/test/demo.mjs BASE_URL DEADLINE_MS
//
// DEADLINE_MS counts from now (the caller subtracts the time the demo has run already).
// Prints {"ok", "checks": [{"name", "ok", "detail"}]}; exit 0 when every check passed, 1 when
// one failed, 2 when the browser could not run.
import { chromium } from 'playwright-core';

const [base, deadlineText] = process.argv.slice(2);
const deadlineMs = Number(deadlineText);
if (!base || !Number.isFinite(deadlineMs)) {
  console.error('usage: node web/test/demo.mjs BASE_URL DEADLINE_MS');
  process.exit(2);
}
const started = Date.now();
const checks = [];
const check = (name, ok, detail = null) => checks.push({ name, ok: Boolean(ok), detail });

let browser;
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
      '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  });
} catch (error) {
  console.log(JSON.stringify({ ok: false, checks: [{ name: 'launch chromium', ok: false, detail: String(error.message) }] }));
  process.exit(2);
}
try {
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(base, { waitUntil: 'load' });
  await page.waitForFunction(() => window.coastwatch?.panel, null, { timeout: 15000 });
  const left = deadlineMs - (Date.now() - started);
  const card = page.locator('#alert-list li .alert-head b').first();
  const shown = await card.waitFor({ timeout: Math.max(left, 1) }).then(() => true, () => false);
  check('an alert in the panel before the deadline', shown, { ms: Date.now() - started, deadline_ms: deadlineMs, kind: shown ? await card.textContent() : null });
  const labels = {
    lang: await page.evaluate(() => document.documentElement.lang),
    tabs: await page.textContent('#tabs'),
    town: await page.textContent('#controls h2'),
  };
  check('Chinese labels', labels.lang === 'zh-CN' && labels.tabs.includes('警情') && labels.tabs.includes('案件') && labels.town === '乡镇', labels);
  // the alert kind is Chinese too: no ASCII letters in it
  if (shown) check('alert kind in Chinese', !/[a-z]/.test(await card.textContent()), await card.textContent());
} catch (error) {
  check('demo page', false, String(error?.message ?? error).split('\n')[0]);
}
await browser.close();
const ok = checks.length > 0 && checks.every((c) => c.ok);
console.log(JSON.stringify({ ok, checks }));
process.exit(ok ? 0 : 1);

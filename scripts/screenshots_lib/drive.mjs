// Walk Home Assistant's real frontend in headless Chromium and take the screens of
// screens.py: `node drive.mjs JOB.json` (written by run.py). Prints a JSON report on stdout.
//
// The flow's step ids are read from the frontend's own REST calls
// (/api/config/config_entries/flow and .../subentries/flow), so a screen fails with a clear
// message when the step it expects does not come.
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

const job = JSON.parse(fs.readFileSync(process.argv[2], "utf-8"));
const TIMEOUT = 20000;
const DIALOG = "dialog-data-entry-flow";
const SUBMIT = `${DIALOG} ha-button[slot="primaryAction"]`;

class ScreenError extends Error {}

// Flow results as the frontend receives them, in order.
const results = [];
let consumed = 0;

async function nextResult(page, screen) {
  const deadline = Date.now() + TIMEOUT;
  while (consumed >= results.length) {
    if (Date.now() > deadline) {
      throw new ScreenError(
        `screen ${screen.name}: no answer from the ${screen.flow} flow within ${TIMEOUT / 1000} s`,
      );
    }
    await page.waitForTimeout(50);
  }
  return results[consumed++];
}

function describe(result) {
  if (!result) return "nothing";
  if (result.type === "form") return `step '${result.step_id}'`;
  if (result.type === "abort") return `abort '${result.reason}'`;
  return `${result.type}${result.errors ? ` ${JSON.stringify(result.errors)}` : ""}`;
}

function matches(result, screen) {
  if (screen.step === "create_entry") return result.type === "create_entry";
  return result.type === "form" && result.step_id === screen.step;
}

async function expectStep(page, screen) {
  const result = await nextResult(page, screen);
  if (!matches(result, screen)) {
    throw new ScreenError(
      `screen ${screen.name}: expected step '${screen.step}' of the ${screen.flow} flow, ` +
        `got ${describe(result)}`,
    );
  }
  if (result.errors && Object.keys(result.errors).length) {
    throw new ScreenError(`screen ${screen.name}: the form shows errors ${JSON.stringify(result.errors)}`);
  }
  return result;
}

async function settle(page) {
  await page.mouse.move(0, 0); // no hover effect on the last field touched
  await page.evaluate(() => document.fonts.ready);
  await page.waitForLoadState("networkidle").catch(() => {});
  await page.waitForTimeout(600); // the dialog's opening animation, images
}

async function waitForTitle(page, screen) {
  const title = job.titles[screen.name];
  if (!title) return;
  await page
    .locator(`${DIALOG} .dialog-title`, { hasText: title })
    .waitFor({ timeout: TIMEOUT })
    .catch(() => {
      throw new ScreenError(`screen ${screen.name}: the dialog never showed the title "${title}"`);
    });
}

// The form's fields are ha-selector elements in schema order.
function field(page, result, name) {
  const index = result.data_schema.findIndex((item) => item.name === name);
  if (index < 0) {
    throw new ScreenError(`step '${result.step_id}' has no field '${name}'`);
  }
  return page.locator(`${DIALOG} ha-form ha-selector`).nth(index);
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

async function pick(page, result, name, value) {
  const item = result.data_schema.find((entry) => entry.name === name);
  const options = item.selector.select.options.map((option) => option.value ?? option);
  const index = options.indexOf(value);
  if (index < 0) throw new ScreenError(`field '${name}' has no option '${value}'`);
  const selector = field(page, result, name);
  await selector.locator("ha-picker-field").click();
  if (item.selector.select.custom_value) {
    // A searchable picker (it takes names not listed): search, then take the exact one.
    await selector.locator("ha-picker-combo-box input").fill(value);
    const exact = new RegExp(`^\\s*${escapeRegExp(value)}\\s*$`);
    await selector
      .locator("ha-combo-box-item")
      .filter({ has: page.locator('span[slot="headline"]', { hasText: exact }) })
      .first()
      .click();
  } else {
    await selector.locator("ha-dropdown-item").nth(index).click();
  }
  await page.waitForTimeout(300);
}

// A dialog's picture: the whole dialog, the viewport grown until nothing scrolls inside it.
async function shootDialog(page, host, file) {
  const dialog = page.locator(`${host} dialog`).first();
  const body = page.locator(`${host} .content-wrapper .body`).first();
  const { scrollHeight, clientHeight } = await body.evaluate((node) => ({
    scrollHeight: node.scrollHeight,
    clientHeight: node.clientHeight,
  }));
  const size = page.viewportSize();
  if (scrollHeight > clientHeight + 1) {
    await page.setViewportSize({ width: size.width, height: size.height + scrollHeight - clientHeight + 40 });
    await settle(page);
  }
  await dialog.screenshot({ path: file, animations: "disabled" });
  await page.setViewportSize(size);
}

// The top of a tall dialog, down to its last list item.
async function shootDialogTop(page, host, lastItem, file) {
  const dialog = await page.locator(`${host} dialog`).first().boundingBox();
  const item = await lastItem.boundingBox();
  const bottom = Math.min(dialog.y + dialog.height, item.y + item.height + 24);
  await page.screenshot({
    path: file,
    clip: { x: dialog.x, y: dialog.y, width: dialog.width, height: bottom - dialog.y },
    animations: "disabled",
  });
}

async function submit(page) {
  await page.locator(SUBMIT).click();
}

const handlers = {
  async search(page, screen, file) {
    await page.goto(`${job.url}/config/integrations/dashboard`);
    await page.locator('ha-button[slot="fab"]').click({ timeout: TIMEOUT });
    await page.locator("dialog-add-integration input").fill(job.search);
    const item = page.locator("dialog-add-integration ha-integration-list-item").first();
    await item.waitFor({ timeout: TIMEOUT }).catch(() => {
      throw new ScreenError(`screen ${screen.name}: searching "${job.search}" found nothing`);
    });
    await settle(page);
    await shootDialogTop(page, "dialog-add-integration", item, file);
    await item.click();
  },
  async account(page, screen, file) {
    const result = await expectStep(page, screen);
    await waitForTitle(page, screen);
    // A key the service refuses first: "account-error" shows what a person then sees.
    await field(page, result, "api_key").locator("input").fill(job.wrongKey);
    await pick(page, result, "region", job.region);
    await settle(page);
    await shootDialog(page, DIALOG, file);
    await submit(page);
  },
  async endpoint(page, screen, file) {
    const result = await expectStep(page, screen);
    await waitForTitle(page, screen);
    await field(page, result, "url").locator("input").fill(job.serverUrl);
    await settle(page);
    await shootDialog(page, DIALOG, file);
    await submit(page);
  },
  async "account-error"(page, screen, file) {
    const result = await nextResult(page, screen);
    if (result.type !== "form" || result.step_id !== screen.step || result.errors?.base !== "invalid_auth") {
      throw new ScreenError(`screen ${screen.name}: expected the refused key on the account form, got ${describe(result)}`);
    }
    await waitForTitle(page, screen);
    await page.locator(`${DIALOG} ha-alert`).first().waitFor({ timeout: TIMEOUT });
    await settle(page);
    await shootDialog(page, DIALOG, file);
    await field(page, result, "api_key").locator("input").fill(job.apiKey);
    await submit(page);
    // The URL typed before comes back filled in: submitted as it is.
    const again = await nextResult(page, screen);
    if (again.type !== "form" || again.step_id !== "endpoint") {
      throw new ScreenError(`screen ${screen.name}: expected the endpoint form again, got ${describe(again)}`);
    }
    await page.waitForTimeout(300);
    const kept = await field(page, again, "url").locator("input").inputValue();
    if (kept !== job.serverUrl) {
      throw new ScreenError(`screen ${screen.name}: the URL was not kept (${JSON.stringify(kept)})`);
    }
    await submit(page);
  },
  async workspace(page, screen, file) {
    await page.goto(`${job.url}/config/integrations/dashboard`);
    await page.locator('ha-button[slot="fab"]').click({ timeout: TIMEOUT });
    await page.locator("dialog-add-integration input").fill(job.search);
    await page.locator("dialog-add-integration ha-integration-list-item").first().click();
    const account = await nextResult(page, screen);
    if (account.type !== "form" || account.step_id !== "user") {
      throw new ScreenError(`screen ${screen.name}: expected the account form, got ${describe(account)}`);
    }
    // Another key: the one set up already would end the flow as "already configured".
    await field(page, account, "api_key").locator("input").fill(job.wrongKey);
    await pick(page, account, "region", job.workspaceRegion);
    await submit(page);
    await expectStep(page, screen);
    await waitForTitle(page, screen);
    await settle(page);
    await shootDialog(page, DIALOG, file);
    await page.keyboard.press("Escape");
    await page.locator(`${DIALOG} dialog`).waitFor({ state: "detached", timeout: TIMEOUT }).catch(() => {});
  },
  async reauth(page, screen, file) {
    // Home Assistant started the re-authentication of the seeded account whose key is refused.
    await page.goto(`${job.url}/config/integrations/dashboard`);
    const card = page.locator("ha-config-flow-card", { hasText: job.revokedTitle }).first();
    await card.waitFor({ timeout: TIMEOUT }).catch(() => {
      throw new ScreenError(`screen ${screen.name}: no re-authentication card for "${job.revokedTitle}"`);
    });
    await card.locator("ha-button").first().click();
    await waitForTitle(page, screen);
    await settle(page);
    await shootDialog(page, DIALOG, file);
    await page.keyboard.press("Escape");
    await page.locator(`${DIALOG} dialog`).waitFor({ state: "detached", timeout: TIMEOUT }).catch(() => {});
  },
  async repair(page, screen, file) {
    // The seeded engine's model is gone (a recognition failed at start): its repair's Fix.
    await page.goto(`${job.url}/config/repairs`);
    const issue = page.getByText(job.goneModel).first();
    await issue.waitFor({ timeout: TIMEOUT }).catch(() => {
      throw new ScreenError(`screen ${screen.name}: no repair naming ${job.goneModel}`);
    });
    await issue.click();
    await waitForTitle(page, screen);
    await settle(page);
    await shootDialog(page, DIALOG, file);
    await page.keyboard.press("Escape");
    await page.locator(`${DIALOG} dialog`).waitFor({ state: "detached", timeout: TIMEOUT }).catch(() => {});
  },
  async model(page, screen, file) {
    await expectStep(page, screen);
    await waitForTitle(page, screen);
    await settle(page);
    await shootDialog(page, DIALOG, file);
    await submit(page);
  },
  async "first-engine-settings"(page, screen, file) {
    const result = await nextResult(page, screen);
    if (!matches(result, screen)) {
      consumed -= 1; // not asked for: the next screen takes this result
      return false;
    }
    await waitForTitle(page, screen);
    await settle(page);
    await shootDialog(page, DIALOG, file);
    await submit(page);
    return true;
  },
  async created(page, screen, file) {
    await expectStep(page, screen);
    await page.locator(`${DIALOG} step-flow-create-entry`).waitFor({ timeout: TIMEOUT });
    await settle(page);
    await shootDialog(page, DIALOG, file);
    await submit(page); // finish
    await page.locator(`${DIALOG} dialog`).waitFor({ state: "detached", timeout: TIMEOUT }).catch(() => {});
  },
  async entry(page, screen, file) {
    await page.goto(`${job.url}/config/integrations/integration/${job.domain}`);
    const button = page.locator("ha-button", { hasText: job.addEngine }).first();
    await button.waitFor({ timeout: TIMEOUT }).catch(() => {
      throw new ScreenError(`screen ${screen.name}: no "${job.addEngine}" button on the entry's page`);
    });
    await settle(page);
    const size = page.viewportSize();
    await page.setViewportSize({ width: size.width, height: 680 });
    await settle(page);
    await page.screenshot({ path: file, animations: "disabled" });
    await page.setViewportSize(size);
    await button.click();
    // With more than one account (the seeded ones), Home Assistant asks for which one.
    const host = new URL(job.serverUrl).host;
    const choice = page.locator("dialog-pick-config-entry").getByText(host).first();
    if (await choice.waitFor({ timeout: 3000 }).then(() => true, () => false)) {
      await choice.click();
    }
  },
  async engine(page, screen, file) {
    const result = await expectStep(page, screen);
    await waitForTitle(page, screen);
    await pick(page, result, "model", job.engineModel);
    await settle(page);
    await shootDialog(page, DIALOG, file);
    await submit(page);
  },
  async "engine-settings"(page, screen, file) {
    const result = await expectStep(page, screen);
    await waitForTitle(page, screen);
    if (result.data_schema.some((item) => item.name === "hotwords")) {
      await field(page, result, "hotwords").locator("textarea").fill(job.hotwords);
    }
    await settle(page);
    await shootDialog(page, DIALOG, file);
    await submit(page);
    const done = await nextResult(page, screen);
    if (done.type !== "create_entry") {
      throw new ScreenError(`screen ${screen.name}: the engine was not added (${describe(done)})`);
    }
  },
  async "trigger-search"(page, screen, file) {
    await page.goto(`${job.url}/config/automation/edit/new`);
    await page.locator("ha-automation-trigger ha-button").first().click({ timeout: TIMEOUT });
    await page.locator("add-automation-element-dialog input").fill(job.triggerSearch);
    const item = page.locator("add-automation-element-dialog ha-list-item-button", {
      hasText: job.triggerName,
    });
    await item.first().waitFor({ timeout: TIMEOUT }).catch(() => {
      throw new ScreenError(`screen ${screen.name}: no trigger "${job.triggerName}" found`);
    });
    await settle(page);
    const last = page.locator("add-automation-element-dialog ha-list-item-button").last();
    await shootDialogTop(page, "add-automation-element-dialog", last, file);
    await item.first().click();
  },
  async trigger(page, screen, file) {
    const sidebar = page.locator("ha-automation-sidebar-trigger");
    await sidebar.locator("ha-input-multi").waitFor({ timeout: TIMEOUT }).catch(() => {
      throw new ScreenError(`screen ${screen.name}: the trigger's phrases field never showed`);
    });
    await sidebar.locator("ha-input-multi ha-button").last().click();
    await sidebar.locator("ha-input-multi input").first().fill(job.phrase);
    await sidebar.locator("ha-radio-option").nth(1).click(); // match: contains
    await page.locator("body").click({ position: { x: 5, y: 890 } }).catch(() => {});
    await settle(page);
    await page.screenshot({ path: file, animations: "disabled" });
  },
};

async function main() {
  const names = job.screens.map((screen) => screen.name);
  const unknown = names.filter((name) => !(name in handlers));
  const untaken = Object.keys(handlers).filter((name) => !names.includes(name));
  if (unknown.length || untaken.length) {
    throw new ScreenError(`screens.py and drive.mjs disagree: ${[...unknown, ...untaken].join(", ")}`);
  }
  const browser = await chromium.launch({ executablePath: job.chromium, headless: true });
  const report = { taken: [], skipped: [] };
  let page;
  try {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      deviceScaleFactor: 1,
      locale: job.locale,
      timezoneId: job.timezone,
    });
    // Logged in as the frontend keeps it: the tokens in localStorage["hassTokens"].
    await context.addInitScript(([tokens, language]) => {
      localStorage.setItem("hassTokens", JSON.stringify(tokens));
      localStorage.setItem("selectedLanguage", JSON.stringify(language));
    }, [job.tokens, job.language]);
    page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    page.on("response", async (response) => {
      const url = response.url();
      if (!/\/api\/config\/config_entries\/(subentries\/)?flow(\/|$)/.test(url)) return;
      if (response.request().method() !== "POST") return;
      try {
        results.push(await response.json());
      } catch {
        results.push({ type: `HTTP ${response.status()}` });
      }
    });
    for (const screen of job.screens) {
      const file = path.join(job.outDir, `${job.language}-${screen.name}.png`);
      const taken = await handlers[screen.name](page, screen, file);
      (taken === false ? report.skipped : report.taken).push(screen.name);
      process.stderr.write(`  ${job.language} ${screen.name}: ${taken === false ? "not in the flow" : file}\n`);
    }
  } catch (err) {
    if (page && job.debugDir) {
      fs.mkdirSync(job.debugDir, { recursive: true });
      await page.screenshot({ path: path.join(job.debugDir, `${job.language}-failure.png`) }).catch(() => {});
    }
    report.error = err instanceof ScreenError ? err.message : String(err.stack || err);
  } finally {
    await browser.close();
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exitCode = report.error ? 1 : 0;
}

await main();

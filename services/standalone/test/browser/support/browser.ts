// Debian's Chromium driven by playwright-core (no browser download), started so it makes no connection of its own
// (the machine's network is closed), plus the checks every page gets: axe, screenshots at desktop and phone widths.
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
// docs/screenshots only when asked (`SCREENSHOTS=docs`): every run writes new bytes even for an unchanged page, which
// would leave each developer's checkout dirty after `pnpm test:browser`.
export const SCREENSHOT_DIR =
  process.env.SCREENSHOTS === 'docs'
    ? path.resolve(__dirname, '../../../../../docs/screenshots')
    : path.join(os.tmpdir(), 'pixmill-screenshots');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--disable-dev-shm-usage',
    ],
  });
}

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** axe's serious and critical violations on the page as it is now, one line each (empty when none). */
export async function axeViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
    .analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

/**
 * The page's checks at both widths: no serious or critical axe violation, nothing wider than a phone at 390 px, and
 * a screenshot of each width in SCREENSHOT_DIR (`<name>.png`, `<name>-phone.png`).
 */
export async function checkPage(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const size = page.viewportSize() ?? DESKTOP;
  try {
    for (const [suffix, viewport] of [
      ['', DESKTOP],
      ['-phone', PHONE],
    ] as const) {
      await page.setViewportSize(viewport);
      await page.waitForTimeout(150);
      expect({ page: name, width: viewport.width, violations: await axeViolations(page) }).toEqual({
        page: name,
        width: viewport.width,
        violations: [],
      });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect({ page: name, width: viewport.width, overflow }).toEqual({
        page: name,
        width: viewport.width,
        overflow: 0,
      });
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}${suffix}.png`), fullPage: true });
    }
  } finally {
    await page.setViewportSize(size);
  }
}

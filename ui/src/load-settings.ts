import * as z from 'zod/mini';
import { uiSettingsSchema, type UiSettings } from './settings.js';

/** Reads `config.json` beside the page; throws with every bad field named. */
export async function loadSettings(url = 'config.json'): Promise<UiSettings> {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) throw new Error(`The settings (${url}) could not be loaded: HTTP ${response.status}.`);
  const parsed = uiSettingsSchema.safeParse(await response.json());
  if (!parsed.success) {
    throw new Error(`The settings (${url}) are invalid:\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

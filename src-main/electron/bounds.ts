// Window size and position kept in the settings table; a saved position on a display that is gone
// is dropped so the window never opens off-screen.
import { z } from 'zod';
import type { SettingsStore } from '../core/settings/index.ts';

export const BOUNDS_SETTING = 'window.bounds';
export const DEFAULT_SIZE = { width: 1200, height: 800 };
const MIN = { width: 640, height: 480 };

export const WindowBounds = z.object({
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().min(MIN.width).max(100_000),
  height: z.number().int().min(MIN.height).max(100_000),
  maximized: z.boolean().default(false),
});
export type WindowBounds = z.infer<typeof WindowBounds>;

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

function overlap(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/** The saved bounds if at least a good part of the window lands on a current display's work area. */
export function restoreBounds(settings: SettingsStore, workAreas: Rect[]): WindowBounds | null {
  const parsed = WindowBounds.safeParse(settings.get(BOUNDS_SETTING));
  if (!parsed.success) return null;
  const b = parsed.data;
  const visible = workAreas.some((a) => overlap(b, a) >= Math.min(b.width * b.height, 200 * 100));
  return visible ? b : null;
}

export function saveBounds(settings: SettingsStore, bounds: Rect, maximized: boolean): void {
  const parsed = WindowBounds.safeParse({ ...bounds, maximized });
  if (parsed.success) settings.set(BOUNDS_SETTING, parsed.data);
}

export const MIN_SIZE = MIN;

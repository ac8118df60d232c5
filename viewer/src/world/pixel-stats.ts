import { Color, type WebGLRenderer } from 'three';

export type PixelStats = { total: number; nonBackground: number; blue: number; red: number };

/**
 * Reads the frame the renderer just drew (call it in the same task as the render: no
 * preserveDrawingBuffer needed): how many pixels differ from `background`, and how many carry a
 * team colour. A test hook.
 */
export function readPixelStats(renderer: WebGLRenderer, background: string): PixelStats {
  const gl = renderer.getContext();
  const w = gl.drawingBufferWidth;
  const h = gl.drawingBufferHeight;
  const pixels = new Uint8Array(w * h * 4);
  gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, pixels);
  const bg = new Color(background);
  const br = Math.round(bg.r * 255);
  const bgG = Math.round(bg.g * 255);
  const bb = Math.round(bg.b * 255);
  let nonBackground = 0;
  let blue = 0;
  let red = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    const r = pixels[i]!;
    const g = pixels[i + 1]!;
    const b = pixels[i + 2]!;
    if (Math.abs(r - br) + Math.abs(g - bgG) + Math.abs(b - bb) > 24) nonBackground++;
    if (b > r + 60 && b > g + 30) blue++;
    if (r > g + 80 && r > b + 60) red++;
  }
  return { total: w * h, nonBackground, blue, red };
}

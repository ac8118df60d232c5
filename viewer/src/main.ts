import { ViewerApp } from './app.ts';
import { installTestHook } from './test-hook.ts';

/**
 * `?server=ws://host:port/` picks the server (default: the page's own host, which is how
 * `kdmarl serve` hosts the viewer), `?token=` enables the run controls, `?replay=URL` plays a file.
 */
function defaultServerUrl(): string | null {
  if (location.protocol !== 'http:' && location.protocol !== 'https:') return null;
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
}

/** Software rasterisers (SwiftShader, llvmpipe) pay for every MSAA sample on the CPU. */
function softwareRenderer(): boolean {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return false;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const name = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return /swiftshader|llvmpipe|software/i.test(name);
}

const params = new URLSearchParams(location.search);
const qualityParam = params.get('quality');
const server = params.get('server');
const app = (() => {
  try {
    return new ViewerApp({
      serverUrl: server === 'none' ? null : (server ?? defaultServerUrl()),
      token: params.get('token'),
      replayUrl: params.get('replay'),
      quality: qualityParam === 'high' || qualityParam === 'low' ? qualityParam : softwareRenderer() ? 'low' : 'high',
    });
  } catch (error) {
    // Most likely no WebGL: say so instead of leaving a blank page.
    const banner = document.getElementById('banner');
    if (banner) {
      banner.textContent = `The viewer cannot start: ${(error as Error).message}. It needs WebGL 2.`;
      banner.classList.add('error');
      banner.hidden = false;
    }
    throw error;
  }
})();
installTestHook(app);
app.start();

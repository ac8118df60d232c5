import { BufferGeometry, Float32BufferAttribute, GridHelper, LineBasicMaterial, LineLoop, Mesh, MeshBasicMaterial, PlaneGeometry, type Group } from 'three';

export const GROUND = '#1e293b';

/** The map under the bodies: the ground plane, a grid and the bounds' outline, added to `world`. */
export function addMapGround(world: Group, bounds: readonly [number, number, number, number], mapSize: number): void {
  const [minX, minY, maxX, maxY] = bounds;
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  // Unlit: a flat ground looks the same without lighting, and it covers most of the screen, so
  // per-pixel lighting there is most of the fill cost on software GL.
  const ground = new Mesh(new PlaneGeometry(maxX - minX, maxY - minY), new MeshBasicMaterial({ color: GROUND }));
  ground.rotation.x = -Math.PI / 2;
  ground.position.set(cx, 0, -cy);
  ground.name = 'ground';
  world.add(ground);
  const divisions = Math.max(2, Math.min(64, Math.round(mapSize)));
  const grid = new GridHelper(mapSize, divisions >= 8 ? divisions : 10, '#334155', '#273449');
  grid.position.set(cx, mapSize * 0.0005, -cy);
  world.add(grid);
  const outline = new BufferGeometry();
  outline.setAttribute(
    'position',
    new Float32BufferAttribute([minX, 0, -minY, maxX, 0, -minY, maxX, 0, -maxY, minX, 0, -maxY], 3),
  );
  const border = new LineLoop(outline, new LineBasicMaterial({ color: '#94a3b8' }));
  border.position.y = mapSize * 0.001;
  border.name = 'bounds';
  world.add(border);
}

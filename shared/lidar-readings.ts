/** How many lidar readings an observation's labels hold ('lidar.ray_j'). */
export function lidarReadings(labels: readonly string[]): number {
  let n = 0;
  for (const label of labels) if (label.startsWith('lidar.')) n++;
  return n;
}

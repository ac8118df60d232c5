import type { Caps } from '../../shared/student-profile.ts';

/**
 * Which slots share an agent process when `kdmarl up` runs several per process. One process
 * takes one set of caps (its flags), so slots are grouped with others of the same caps only, in
 * slot order, at most `perProcess` to a process: 3 identical slots at 2 per process make [0, 1], [2].
 */
export function groupSlots(caps: readonly Caps[], perProcess: number): number[][] {
  const byCaps = new Map<string, number[][]>();
  const groups: number[][] = [];
  caps.forEach((slotCaps, slot) => {
    const key = JSON.stringify(Object.entries(slotCaps).sort(([a], [b]) => a.localeCompare(b)));
    const open = byCaps.get(key) ?? [];
    byCaps.set(key, open);
    const last = open[open.length - 1];
    if (last && last.length < perProcess) {
      last.push(slot);
      return;
    }
    const group = [slot];
    open.push(group);
    groups.push(group);
  });
  return groups;
}

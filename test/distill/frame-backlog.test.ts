import { describe, expect, it } from 'vitest';
import { FrameBacklog, breaksContinuity } from '../../agents/distill/frame-backlog.ts';

type Frame = [kind: number, tick: number, episode: number];
const frame = (tick: number, episode = 1): Frame => [0, tick, episode];

describe("the online teacher's frame backlog", () => {
  it('keeps the newest frames up to its limit and counts the dropped ones', () => {
    const backlog = new FrameBacklog<Frame>(4);
    for (let tick = 0; tick < 10; tick++) backlog.push(frame(tick));
    expect(backlog.length).toBe(4);
    expect(backlog.takeDropped()).toBe(6);
    expect(backlog.takeDropped()).toBe(0);
    const ticks: number[] = [];
    for (let f = backlog.shift(); f; f = backlog.shift()) ticks.push(f[1]);
    expect(ticks).toEqual([6, 7, 8, 9]);
    expect(backlog.shift()).toBeUndefined();
    expect(() => new FrameBacklog<Frame>(0)).toThrow(/positive integer, got 0/);
  });

  it('leaves a tick gap after a drop, which ends the episode the teacher was recording', () => {
    const backlog = new FrameBacklog<Frame>(3);
    backlog.push(frame(0));
    const taken = backlog.shift()!;
    const last = { tick: taken[1], episode: taken[2], ended: false };
    for (let tick = 1; tick <= 4; tick++) backlog.push(frame(tick));
    const next = backlog.shift()!;
    expect(next[1]).toBe(2);
    expect(breaksContinuity(last, next[1], next[2])).toBe(true);
    expect(breaksContinuity(last, 1, 1)).toBe(false);
  });

  it('ends the recorded episode when the server abandons it (a reset or a changed world), and not twice', () => {
    // Ticks run on across a changed world; only the episode number says the world restarted.
    expect(breaksContinuity({ tick: 40, episode: 3, ended: false }, 41, 4)).toBe(true);
    // An episode that ended on its last frame is not ended again (its termination stays).
    expect(breaksContinuity({ tick: 40, episode: 3, ended: true }, 41, 4)).toBe(false);
    expect(breaksContinuity({ tick: 40, episode: 3, ended: true }, 45, 4)).toBe(false);
  });
});

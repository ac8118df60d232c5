/**
 * VMAS's discrete actions (VMAS ≥ 1.3.4): 3 choices per axis, the first axis most significant,
 * so index a is (a_x, a_y) = (⌊a/3⌋, a mod 3), and each choice is 0 none, 1 minus, 2 plus.
 * A holonomic robot's axes are the force's x and y; a diff-drive robot's are its forward speed
 * and its yaw rate (plus = counter-clockwise).
 */
export const ACTION_COUNT = 9;

const AXIS_VALUES = [0, -1, 1] as const;

/** -1, 0 or +1 for one axis choice (0 none, 1 minus, 2 plus). */
export function axisValue(choice: number): number {
  return AXIS_VALUES[choice];
}

const HOLONOMIC_NAMES = ['none', 'down', 'up', 'left', 'left_down', 'left_up', 'right', 'right_down', 'right_up'];
const DIFF_DRIVE_NAMES = ['stop', 'turn_right', 'turn_left', 'back', 'back_right', 'back_left', 'forward', 'forward_right', 'forward_left'];

export function actionNames(dynamics: 'holonomic' | 'diff_drive'): readonly string[] {
  return dynamics === 'diff_drive' ? DIFF_DRIVE_NAMES : HOLONOMIC_NAMES;
}

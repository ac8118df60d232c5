import type { BodySpec, ShapeSpec } from '../robots/physics/index.ts';
import type { RobotGroup, ShapeData, StaticData, BodyData } from './schema.ts';

/** What a body is for the scenario: lidar target kinds, entity kinds for viewers, spawn checks. */
export type BodyCategory = 'robot' | 'goal' | 'wall' | 'obstacle' | 'body';

export type RobotBody = BodySpec & {
  category: BodyCategory;
  /** Where a static or extra body sits (file data); scenario bodies are placed by their reset. */
  fixed?: { pos: readonly [number, number]; rot: number };
};

/** One robot per agent, groups expanded in order. */
export type RobotAgent = { group: number; spec: RobotGroup };

export function expandRobots(groups: readonly RobotGroup[]): RobotAgent[] {
  const agents: RobotAgent[] = [];
  groups.forEach((spec, group) => {
    for (let k = 0; k < spec.count; k++) agents.push({ group, spec });
  });
  return agents;
}

export function toShapeSpec(shape: ShapeData): ShapeSpec {
  switch (shape.kind) {
    case 'circle':
      return { kind: 'sphere', radius: shape.radius };
    case 'box':
      return { kind: 'box', length: shape.length, width: shape.width };
    case 'segment':
      return { kind: 'line', length: shape.length };
  }
}

/** A VMAS Agent: a sphere, movable, rotatable (diff drive turns it; holonomic never does). */
export function robotBody(name: string, spec: RobotGroup, collide: boolean): RobotBody {
  return { name, category: 'robot', shape: { kind: 'sphere', radius: spec.radius }, mass: spec.mass, movable: true, rotatable: true, collide };
}

/** A VMAS goal Landmark: a sphere nothing collides with. */
export function goalBody(name: string, radius: number): RobotBody {
  return { name, category: 'goal', shape: { kind: 'sphere', radius }, mass: 1, movable: false, rotatable: false, collide: false };
}

export function staticBody(data: StaticData): RobotBody {
  return { name: data.name, category: data.kind, shape: toShapeSpec(data.shape), mass: 1, movable: false, rotatable: false, collide: true, fixed: { pos: data.pos, rot: data.rot } };
}

export function extraBody(data: BodyData): RobotBody {
  return { name: data.name, category: 'body', shape: toShapeSpec(data.shape), mass: data.mass, movable: true, rotatable: data.rotatable, collide: true, fixed: { pos: data.pos, rot: data.rot } };
}

/** Radius of the smallest circle around the shape's centre (viewers, spawn margins). */
export function circumradius(shape: ShapeSpec): number {
  switch (shape.kind) {
    case 'sphere':
      return shape.radius;
    case 'box':
      return Math.hypot(shape.length, shape.width) / 2;
    case 'line':
      return shape.length / 2;
  }
}

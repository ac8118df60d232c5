"""Cross-check of test/robots/physics-contacts.test.ts and physics-lidar.test.ts against VMAS itself.

Runs VMAS 1.5.2's World.step and World.cast_rays on the same setups as the hand-computed tests and
prints VMAS's result beside the hand formula. Needs torch and VMAS's source tree (no gym: VMAS's
package __init__ imports it for wrappers only, so a bare stand-in module is registered):

    git --git-dir=<mirror of proroklab/VectorizedMultiAgentSimulator> archive 7fd3a77 vmas | tar -x -C /tmp/vmas_src
    PYTHONPATH=/tmp/vmas_src /usr/bin/python3 test/robots/physics-vmas-crosscheck.py
"""
import math
import sys
import types

# VMAS's package __init__ imports gym for its wrappers only; a bare stand-in is enough for World.
gym = types.ModuleType("gym")
spaces = types.ModuleType("gym.spaces")
for name in ["Box", "Discrete", "MultiDiscrete", "Dict", "Tuple", "Space"]:
    setattr(spaces, name, type(name, (), {}))
gym.spaces = spaces
gym.Env = type("Env", (), {})
sys.modules["gym"] = gym
sys.modules["gym.spaces"] = spaces

import torch  # noqa: E402

from vmas.simulator.core import Agent, Box, Landmark, Line, Sphere, World  # noqa: E402

torch.set_default_dtype(torch.float64)
ELL = 4 / 600
H = 0.1


def penalty(overlap):
    return 100 * 1e-3 * math.log1p(math.exp(overlap / 1e-3))


def one_step(shapes, place):
    """shapes: (shape, movable, mass); place: (x, y, rot). Returns (vel, ang_vel) per body after one step."""
    world = World(batch_dim=1, device="cpu")
    bodies = []
    for i, (shape, movable, mass) in enumerate(shapes):
        body = Landmark(name=f"b{i}", shape=shape, movable=movable, rotatable=movable, mass=mass)
        world.add_landmark(body)
        bodies.append(body)
    for body, (x, y, rot) in zip(bodies, place):
        body.set_pos(torch.tensor([[x, y]]), batch_index=None)
        body.set_vel(torch.zeros(1, 2), batch_index=None)
        body.set_rot(torch.tensor([[rot]]), batch_index=None)
        body.set_ang_vel(torch.zeros(1, 1), batch_index=None)
    world.step()
    return [(b.state.vel[0].tolist(), b.state.ang_vel[0].item()) for b in bodies]


def show(name, result, expected):
    print(f"{name:22s} vmas {result}\n{'':22s} hand {expected}")


f = penalty(0.05 + ELL)
show("sphere-box", one_step([(Box(0.4, 0.2), True, 2), (Sphere(0.1), True, 1)], [(0, 0, 0), (0.25, 0.05, 0)]),
     {"sphere vx": f * H, "box vx": -f * H / 2, "box w": 0.05 * f * 30 * H})
f = penalty(0.15 + ELL)
show("sphere-box inside", one_step([(Box(0.4, 0.2), False, 1), (Sphere(0.1), True, 1)], [(0, 0, 0), (0.15, 0, 0)]),
     {"sphere vx": f * H})
f = penalty(ELL)
show("sphere-line", one_step([(Line(0.5), True, 1), (Sphere(0.1), False, 1)], [(0, 0, 0), (0.1, 0.1, 0)]),
     {"line vy": -f * H, "line w": -0.1 * f / (0.25 / 12) * H})
f = penalty(0.1 + ELL - 0.05 * math.sqrt(2))
show("sphere-line end", one_step([(Line(0.5), False, 1), (Sphere(0.1), True, 1)], [(0, 0, 0), (0.3, 0.05, 0)]),
     {"sphere vx = vy": f / math.sqrt(2) * H})
f = penalty(ELL - 0.004)
show("line-line", one_step([(Line(0.5), True, 1), (Line(0.2), True, 1)], [(0, 0, 0), (0.254, 0.05, math.pi / 2)]),
     {"a vx": -f * H, "b vx": f * H, "b w": 0.05 * f / (0.04 / 12) * H})
show("box-line", one_step([(Box(0.4, 0.2), True, 1), (Line(0.2), True, 1)], [(0, 0, 0), (0.05, 0.204, math.pi / 2)]),
     {"line vy": f * H, "box vy": -f * H, "box w": -0.05 * f * 60 * H})
half = 0.1 * math.sqrt(2)
show("box-box", one_step([(Box(0.4, 0.2), True, 1), (Box(0.2, 0.2), True, 1)], [(0, 0, 0), (0.204 + half, 0.05, math.pi / 4)]),
     {"a vx": -f * H, "b vx": f * H, "a w": 0.05 * f * 60 * H})
show("box-box crossing", one_step([(Box(0.4, 0.2), True, 1), (Box(0.2, 0.2), True, 1)], [(0, 0, 0), (0.29, 0, 0)]),
     "all zero")

# Lidar: 24 rays at heading 0.1 in a square room of four 2.2-long walls at distance 1.
world = World(batch_dim=1, device="cpu")
robot = Agent(name="agent_0", shape=Sphere(0.1))
world.add_agent(robot)
for i, (x, y, rot) in enumerate([(1, 0, math.pi / 2), (-1, 0, math.pi / 2), (0, 1, 0), (0, -1, 0)]):
    wall = Landmark(name=f"wall_{i}", shape=Line(2.2))
    world.add_landmark(wall)
    wall.set_pos(torch.tensor([[x, y]]), batch_index=None)
    wall.set_rot(torch.tensor([[rot]]), batch_index=None)
robot.set_pos(torch.zeros(1, 2), batch_index=None)
robot.set_rot(torch.tensor([[0.1]]), batch_index=None)
angles = torch.linspace(0, 2 * math.pi, 25)[:24].unsqueeze(0) + 0.1
measured = world.cast_rays(robot, angles, max_range=2, entity_filter=lambda e: e is not robot)[0].tolist()
hand = [1 / max(abs(math.cos(2 * math.pi * j / 24 + 0.1)), abs(math.sin(2 * math.pi * j / 24 + 0.1))) for j in range(24)]
print("lidar room, 24 rays: largest |vmas - hand| =", max(abs(m - h) for m, h in zip(measured, hand)))

# Differential drive: a constant yaw command π for 5 steps from rest (physics.test.ts), and one step
# of speed 0.5 and yaw rate 1 from heading 0.3 against the exact arc.
from vmas.simulator.dynamics.diff_drive import DiffDrive  # noqa: E402

world = World(batch_dim=1, device="cpu")
robot = Agent(name="agent_0", shape=Sphere(0.1), u_range=[10, 10], dynamics=DiffDrive(world))
world.add_agent(robot)
for setter, value in [(robot.set_pos, [[0.0, 0.0]]), (robot.set_vel, [[0.0, 0.0]]), (robot.set_rot, [[0.0]]), (robot.set_ang_vel, [[0.0]])]:
    setter(torch.tensor(value), batch_index=None)
for _ in range(5):
    robot.action.u = torch.tensor([[0.0, math.pi]])
    robot.dynamics.check_and_process_action()
    world.step()
print("diff drive yaw, 5 steps  vmas", robot.state.rot.item(), robot.state.ang_vel.item())
print("                         hand", (1 + 0.75 + 0.8125 + 0.796875 + 0.80078125) * math.pi * 0.1, 0.80078125 * math.pi)
robot.set_pos(torch.tensor([[0.2, -0.1]]), batch_index=None)
robot.set_rot(torch.tensor([[0.3]]), batch_index=None)
robot.set_vel(torch.zeros(1, 2), batch_index=None)
robot.set_ang_vel(torch.zeros(1, 1), batch_index=None)
robot.action.u = torch.tensor([[0.5, 1.0]])
robot.dynamics.check_and_process_action()
world.step()
arc = (0.2 + 0.5 * (math.sin(0.4) - math.sin(0.3)), -0.1 - 0.5 * (math.cos(0.4) - math.cos(0.3)))
print("diff drive arc, 1 step   vmas", robot.state.pos[0].tolist(), robot.state.rot.item())
print("                         hand", list(arc), 0.4, "(exact arc; RK4 within 1.8e-9)")

"""Cross-check of test/robots/physics-contacts.test.ts and physics-lidar.test.ts against VMAS itself.

Runs VMAS 1.5.2's World.step and World.cast_rays on the same setups as the hand-computed tests,
prints VMAS's result beside the hand formula and the largest difference, and exits 1 when any
difference exceeds 1e-12 (the one-step arc of the differential drive: the RK4 bound 1.8e-9, as
physics.test.ts allows), 0 otherwise. Needs torch and VMAS's source tree (no gym: VMAS's
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


TOLERANCE = 1e-12
worst = {"difference": 0.0, "check": None}
failures = []


def check(name, pairs, tolerance=TOLERANCE):
    """pairs: (label, vmas value, hand value). Prints them; records the largest difference and any past tolerance."""
    for label, vmas, hand in pairs:
        difference = abs(vmas - hand)
        print(f"{name:22s} {label:16s} vmas {vmas!r:24s} hand {hand!r:24s} |diff| {difference:.3g}")
        if tolerance == TOLERANCE and difference > worst["difference"]:
            worst.update(difference=difference, check=f"{name} {label}")
        if not difference <= tolerance:
            failures.append(f"{name} {label}: |vmas - hand| = {difference:.3g} > {tolerance:g}")


def vx(r, i):
    return r[i][0][0]


def vy(r, i):
    return r[i][0][1]


def w(r, i):
    return r[i][1]


f = penalty(0.05 + ELL)
r = one_step([(Box(0.4, 0.2), True, 2), (Sphere(0.1), True, 1)], [(0, 0, 0), (0.25, 0.05, 0)])
check("sphere-box", [("sphere vx", vx(r, 1), f * H), ("box vx", vx(r, 0), -f * H / 2), ("box w", w(r, 0), 0.05 * f * 30 * H)])
f = penalty(0.15 + ELL)
r = one_step([(Box(0.4, 0.2), False, 1), (Sphere(0.1), True, 1)], [(0, 0, 0), (0.15, 0, 0)])
check("sphere-box inside", [("sphere vx", vx(r, 1), f * H)])
f = penalty(ELL)
r = one_step([(Line(0.5), True, 1), (Sphere(0.1), False, 1)], [(0, 0, 0), (0.1, 0.1, 0)])
check("sphere-line", [("line vy", vy(r, 0), -f * H), ("line w", w(r, 0), -0.1 * f / (0.25 / 12) * H)])
f = penalty(0.1 + ELL - 0.05 * math.sqrt(2))
r = one_step([(Line(0.5), False, 1), (Sphere(0.1), True, 1)], [(0, 0, 0), (0.3, 0.05, 0)])
check("sphere-line end", [("sphere vx", vx(r, 1), f / math.sqrt(2) * H), ("sphere vy", vy(r, 1), f / math.sqrt(2) * H)])
f = penalty(ELL - 0.004)
r = one_step([(Line(0.5), True, 1), (Line(0.2), True, 1)], [(0, 0, 0), (0.254, 0.05, math.pi / 2)])
check("line-line", [("a vx", vx(r, 0), -f * H), ("b vx", vx(r, 1), f * H), ("b w", w(r, 1), 0.05 * f / (0.04 / 12) * H)])
r = one_step([(Box(0.4, 0.2), True, 1), (Line(0.2), True, 1)], [(0, 0, 0), (0.05, 0.204, math.pi / 2)])
check("box-line", [("line vy", vy(r, 1), f * H), ("box vy", vy(r, 0), -f * H), ("box w", w(r, 0), -0.05 * f * 60 * H)])
half = 0.1 * math.sqrt(2)
r = one_step([(Box(0.4, 0.2), True, 1), (Box(0.2, 0.2), True, 1)], [(0, 0, 0), (0.204 + half, 0.05, math.pi / 4)])
check("box-box", [("a vx", vx(r, 0), -f * H), ("b vx", vx(r, 1), f * H), ("a w", w(r, 0), 0.05 * f * 60 * H)])
r = one_step([(Box(0.4, 0.2), True, 1), (Box(0.2, 0.2), True, 1)], [(0, 0, 0), (0.29, 0, 0)])
check("box-box crossing", [(f"{k} of body {i}", v, 0.0) for i in range(2) for k, v in [("vx", vx(r, i)), ("vy", vy(r, i)), ("w", w(r, i))]])

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
check("lidar room", [(f"ray {j}", m, h) for j, (m, h) in enumerate(zip(measured, hand))])

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
check("diff drive yaw", [
    ("heading", robot.state.rot.item(), (1 + 0.75 + 0.8125 + 0.796875 + 0.80078125) * math.pi * 0.1),
    ("yaw rate", robot.state.ang_vel.item(), 0.80078125 * math.pi),
])
robot.set_pos(torch.tensor([[0.2, -0.1]]), batch_index=None)
robot.set_rot(torch.tensor([[0.3]]), batch_index=None)
robot.set_vel(torch.zeros(1, 2), batch_index=None)
robot.set_ang_vel(torch.zeros(1, 1), batch_index=None)
robot.action.u = torch.tensor([[0.5, 1.0]])
robot.dynamics.check_and_process_action()
world.step()
arc = (0.2 + 0.5 * (math.sin(0.4) - math.sin(0.3)), -0.1 - 0.5 * (math.cos(0.4) - math.cos(0.3)))
check("diff drive step", [("heading", robot.state.rot.item(), 0.4)])
# RK4 against the exact arc: off by at most v·ω⁴·dt⁵/2880 = 1.8e-9 (physics.test.ts).
check("diff drive arc", [("x", robot.state.pos[0][0].item(), arc[0]), ("y", robot.state.pos[0][1].item(), arc[1])], tolerance=1.8e-9)

print(f"largest difference at tolerance {TOLERANCE:g}: {worst['difference']:.3g} ({worst['check']})")
if failures:
    for failure in failures:
        print("FAIL", failure)
    sys.exit(1)
print("all within tolerance")

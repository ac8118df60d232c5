# PyTorch (CPU, one thread) reference for the learner benchmark in bench/train.ts: MAPPO's PPO update
# on spread's shapes, 64 envs x 25 steps x 3 agents, actor obs 18+3 -> H -> H -> 5 and critic state
# 54+3 -> H -> H -> 1, both with input LayerNorm, 10 epochs of one full-batch minibatch, Adam, clipped
# policy loss + entropy, Huber value loss, grad clip 10. Random tensors stand in for the env.
# Prints one JSON line: agent-samples/s of the learner alone (the 10 epochs; per wall and per CPU
# second of this process) and of a whole update
# (one no-grad actor and critic forward per env step, then the epochs).
# Run: OMP_NUM_THREADS=1 /usr/bin/python3 bench/torch_learner_reference.py HIDDEN [UPDATES]
# (Debian: apt-get install python3-torch libopenblas0-openmp.)
import ctypes, json, sys, time
import torch, torch.nn as nn

torch.set_num_threads(1)
H = int(sys.argv[1]) if len(sys.argv) > 1 else 64
U = int(sys.argv[2]) if len(sys.argv) > 2 else 3
E, T, N, OBS, ACT, STATE = 64, 25, 3, 18 + 3, 5, 54 + 3


def mlp(i, o):
    return nn.Sequential(nn.LayerNorm(i), nn.Linear(i, H), nn.ReLU(), nn.Linear(H, H), nn.ReLU(), nn.Linear(H, o))


actor, critic = mlp(OBS, ACT), mlp(STATE, 1)
opt_a = torch.optim.Adam(actor.parameters(), 7e-4)
opt_c = torch.optim.Adam(critic.parameters(), 7e-4)


def collect():
    obs = torch.randn(T, E * N, OBS)
    st = torch.randn(T, E * N, STATE)
    acts, logps, vals = [], [], []
    with torch.no_grad():
        for t in range(T):
            d = torch.distributions.Categorical(logits=actor(obs[t]))
            a = d.sample()
            acts.append(a)
            logps.append(d.log_prob(a))
            vals.append(critic(st[t]).squeeze(-1))
    v0 = torch.cat(vals)
    adv = torch.randn_like(v0)
    return obs.reshape(-1, OBS), st.reshape(-1, STATE), torch.cat(acts), torch.cat(logps), v0, adv, v0 + adv


def learn(batch):
    o, s, a, lp0, v0, adv, ret = batch
    for _ in range(10):
        d = torch.distributions.Categorical(logits=actor(o))
        ratio = torch.exp(d.log_prob(a) - lp0)
        pl = -torch.min(ratio * adv, ratio.clamp(0.8, 1.2) * adv).mean() - 0.01 * d.entropy().mean()
        opt_a.zero_grad()
        pl.backward()
        nn.utils.clip_grad_norm_(actor.parameters(), 10)
        opt_a.step()
        v = critic(s).squeeze(-1)
        vl = nn.functional.huber_loss(v, ret, delta=10.0)
        opt_c.zero_grad()
        vl.backward()
        nn.utils.clip_grad_norm_(critic.parameters(), 10)
        opt_c.step()


def blas_core():
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return "unknown"


learn(collect())
learner = update = learner_cpu = 0.0
for _ in range(U):
    t0 = time.perf_counter()
    batch = collect()
    t1, c1 = time.perf_counter(), time.process_time()
    learn(batch)
    t2, c2 = time.perf_counter(), time.process_time()
    learner += t2 - t1
    learner_cpu += c2 - c1
    update += t2 - t0
samples = U * E * T * N
print(json.dumps({"torch": torch.__version__, "blasCore": blas_core(), "hidden": H, "updates": U,
                  "learnerSamplesPerSecond": round(samples / learner),
                  "learnerSamplesPerCpuSecond": round(samples / learner_cpu), "updateSamplesPerSecond": round(samples / update)}))

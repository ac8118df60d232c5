"""A kdmarl student (or teacher) exported to JSON, evaluated with numpy.

The JSON is the policy file of shared/model-format.ts with its typed arrays as plain arrays:

    {"format": "kdmarl-policy", "version": 1, "scenario": "spread", "role": "student", "producedBy": "...",
     "agents": {"agent_0": {"net": "shared", "view": {...}, "agentId": {"index": 0, "size": 3}}, ...},
     "nets": {"shared": {"inputSize": 18, "layers": [
         {"kind": "dense", "inputSize": 18, "outputSize": 64, "activation": "relu" | "tanh" | "linear",
          "weight": [...], "bias": [...]},
         {"kind": "layernorm", "size": 64, "epsilon": 1e-5, "gamma": [...], "beta": [...]},
         {"kind": "gru", "inputSize": 64, "hiddenSize": 32, "wx": [...], "wh": [...], "bx": [...], "bh": [...]}]}}}

Matrices are row-major [input][output] (flat, or nested rows); a dense layer is y = act(x W + b);
the last layer's outputs are the logits; the agent-id one-hot (when `agentId` is there) is
appended after the observation. A file holding one agent may instead be
{"agent": NAME, "view": {...}, "agentId"?: {...}, "net": {"inputSize": ..., "layers": [...]}}.
The same dictionaries with numpy arrays (a msgpack policy pushed by the supervisor) work too.
"""

import json

import numpy as np


class PolicyError(ValueError):
    """A policy document that cannot be used; the message names the field."""


def load_policy_json(path):
    try:
        with open(path, "r", encoding="utf-8") as handle:
            document = json.load(handle)
    except OSError as error:
        raise PolicyError(f"{path}: cannot read the policy ({error.strerror or error})") from None
    except json.JSONDecodeError as error:
        raise PolicyError(f"{path}: not JSON ({error.msg} at line {error.lineno})") from None
    return document


def _array(value, size, where):
    array = np.asarray(value, dtype=np.float64).reshape(-1)
    if array.size != size:
        raise PolicyError(f"{where}: {array.size} values, expected {size}")
    if not np.all(np.isfinite(array)):
        raise PolicyError(f"{where}: non-finite values")
    return array


def _field(layer, name, where):
    if name not in layer:
        raise PolicyError(f"{where}: no '{name}'")
    return layer[name]


class AgentPolicy:
    """One agent's net: observation (+ agent id) in, logits out; greedy or sampled masked actions."""

    def __init__(self, document, agent=None, where="policy"):
        if not isinstance(document, dict):
            raise PolicyError(f"{where}: not a policy object")
        if "nets" in document:
            agents = document.get("agents") or {}
            if agent is None:
                if len(agents) != 1:
                    raise PolicyError(f"{where}: holds agents {', '.join(agents)}: say which one")
                agent = next(iter(agents))
            if agent not in agents:
                raise PolicyError(f"{where}: no entry for agent '{agent}' (has: {', '.join(agents)})")
            spec = agents[agent]
            net_name = _field(spec, "net", f"{where}: agents.{agent}")
            nets = document["nets"]
            if net_name not in nets:
                raise PolicyError(f"{where}: agents.{agent} uses net '{net_name}', which is not in nets")
            net = nets[net_name]
            where = f"{where}: nets.{net_name}"
        elif "net" in document:
            spec = document
            net = document["net"]
            agent = agent or document.get("agent")
            where = f"{where}: net"
        elif "layers" in document:
            # One agent as `kdmarl export --format json` writes it (docs/export.md).
            spec = document
            net = document
            agent = agent or document.get("agent")
        else:
            raise PolicyError(f"{where}: neither 'nets' (a policy file) nor 'net' (one agent)")
        self.agent = agent
        self.view = spec.get("view")
        agent_id = spec.get("agentId")
        self.input_size = int(_field(net, "inputSize", where))
        id_size = int(agent_id["size"]) if agent_id else 0
        self.observation_size = self.input_size - id_size
        self._id = np.zeros(id_size)
        if agent_id:
            self._id[int(agent_id["index"])] = 1.0
        self.layers = []
        self._gru = []
        width = self.input_size
        self.flops = 0
        for i, layer in enumerate(_field(net, "layers", where)):
            at = f"{where}.layers[{i}]"
            kind = _field(layer, "kind", at)
            if kind == "dense":
                n_in, n_out = int(layer["inputSize"]), int(layer["outputSize"])
                if n_in != width:
                    raise PolicyError(f"{at}: input size {n_in}, previous layer gives {width}")
                activation = layer.get("activation", "linear")
                if activation not in ("relu", "tanh", "linear"):
                    raise PolicyError(f"{at}: activation '{activation}' (expected relu, tanh or linear)")
                if "weightInt8" in layer:
                    # int8 export: per-output-unit scales, weight[i][j] = q[i][j] * scale[j].
                    q = _array(layer["weightInt8"], n_in * n_out, f"{at}.weightInt8").reshape(n_in, n_out)
                    weight = q * _array(_field(layer, "weightScale", at), n_out, f"{at}.weightScale")
                else:
                    weight = _array(_field(layer, "weight", at), n_in * n_out, f"{at}.weight").reshape(n_in, n_out)
                self.layers.append(("dense", weight, _array(_field(layer, "bias", at), n_out, f"{at}.bias"), activation))
                # shared/flops.ts's count: multiply-adds, bias, one per activated element.
                self.flops += 2 * n_in * n_out + n_out + (n_out if activation != "linear" else 0)
                width = n_out
            elif kind == "layernorm":
                size = int(layer["size"])
                if size != width:
                    raise PolicyError(f"{at}: layernorm size {size}, previous layer gives {width}")
                gamma = _array(_field(layer, "gamma", at), size, f"{at}.gamma")
                beta = _array(_field(layer, "beta", at), size, f"{at}.beta")
                self.layers.append(("layernorm", gamma, beta, float(layer.get("epsilon", 1e-5))))
                self.flops += 7 * size
                width = size
            elif kind == "gru":
                n_in, hidden = int(layer["inputSize"]), int(layer["hiddenSize"])
                if n_in != width:
                    raise PolicyError(f"{at}: gru input size {n_in}, previous layer gives {width}")
                h3 = 3 * hidden
                wx = _array(_field(layer, "wx", at), n_in * h3, f"{at}.wx").reshape(n_in, h3)
                wh = _array(_field(layer, "wh", at), hidden * h3, f"{at}.wh").reshape(hidden, h3)
                bx = _array(_field(layer, "bx", at), h3, f"{at}.bx")
                bh = _array(_field(layer, "bh", at), h3, f"{at}.bh")
                self._gru.append(np.zeros(hidden))
                self.layers.append(("gru", (wx, wh, bx, bh), len(self._gru) - 1, hidden))
                self.flops += 2 * n_in * h3 + h3 + 2 * hidden * h3 + h3 + 11 * hidden
                width = hidden
            else:
                raise PolicyError(f"{at}: unknown layer kind '{kind}' (dense, layernorm, gru)")
        if not self.layers:
            raise PolicyError(f"{where}: no layers")
        self.action_count = width
        if self.observation_size <= 0:
            raise PolicyError(f"{where}: inputSize {self.input_size} leaves no room for the observation")

    @property
    def recurrent(self):
        return bool(self._gru)

    def reset(self):
        """A new episode: zero the recurrent state."""
        for h in self._gru:
            h.fill(0.0)

    def logits(self, observation):
        observation = np.asarray(observation, dtype=np.float64).reshape(-1)
        if observation.size != self.observation_size:
            raise PolicyError(f"{self.agent}: observation has {observation.size} values, the policy expects {self.observation_size}")
        x = np.concatenate([observation, self._id]) if self._id.size else observation
        for layer in self.layers:
            kind = layer[0]
            if kind == "dense":
                _, weight, bias, activation = layer
                x = x @ weight + bias
                if activation == "relu":
                    x = np.maximum(x, 0.0)
                elif activation == "tanh":
                    x = np.tanh(x)
            elif kind == "layernorm":
                _, gamma, beta, epsilon = layer
                mean = x.mean()
                x = (x - mean) / np.sqrt(((x - mean) ** 2).mean() + epsilon) * gamma + beta
            else:
                _, (wx, wh, bx, bh), index, hidden = layer
                h = self._gru[index]
                gx = x @ wx + bx
                gh = h @ wh + bh
                r = 1.0 / (1.0 + np.exp(-(gx[:hidden] + gh[:hidden])))
                z = 1.0 / (1.0 + np.exp(-(gx[hidden : 2 * hidden] + gh[hidden : 2 * hidden])))
                n = np.tanh(gx[2 * hidden :] + r * gh[2 * hidden :])
                x = (1.0 - z) * n + z * h
                self._gru[index] = x.copy()
        return x

    def act(self, observation, mask):
        """Greedy: the highest logit among allowed actions (mask 1 = allowed); 0 when none is."""
        z = self.logits(observation)
        allowed = np.asarray(mask).reshape(-1)[: self.action_count] == 1
        if not allowed.any():
            return 0
        return int(np.argmax(np.where(allowed, z, -np.inf)))

    def sample(self, observation, mask, rng):
        """From the masked softmax."""
        z = self.logits(observation)
        allowed = np.asarray(mask).reshape(-1)[: self.action_count] == 1
        if not allowed.any():
            return 0
        z = np.where(allowed, z, -np.inf)
        p = np.exp(z - z.max())
        return int(rng.choice(self.action_count, p=p / p.sum()))

"""KdmarlParallelEnv: a kdmarl server as a PettingZoo-ParallelEnv-shaped environment.

The env connects as the server's controller (docs/protocol.md, "Controller"), authorised by the
control token: it holds every slot, sends every agent's action each step, and gets rewards,
episode ends and the global state back. The step is the server's own (its EnvCore), so the same
seed and actions give the same episode as the in-process env. The server must run in lockstep;
it waits for the env's actions (no deadline), so a slow learner between steps is fine.

    env = KdmarlParallelEnv("ws://127.0.0.1:PORT/", tokens_file="tokens.json")
    observations, infos = env.reset(seed=1)
    while env.agents:
        actions = {a: env.action_space(a).sample(infos[a]["action_mask"]) for a in env.agents}
        observations, rewards, terminations, truncations, infos = env.step(actions)
"""

import asyncio
import concurrent.futures
import json
import threading

import numpy as np
import websockets

from .wire import FRAME_ACT, FRAME_OBS, FRAME_RESULT, PROTOCOL_VERSION, close_code_name, decode, encode


class EnvError(RuntimeError):
    """The server refused or went away; the message is one line saying which and what to do."""


class BoxSpace:
    """Observations: a float32 vector of `shape` (unbounded)."""

    def __init__(self, shape, dtype=np.float32):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.low = np.full(self.shape, -np.inf, dtype=self.dtype)
        self.high = np.full(self.shape, np.inf, dtype=self.dtype)

    def contains(self, x):
        x = np.asarray(x)
        return x.shape == self.shape and bool(np.all(np.isfinite(x)))

    def __repr__(self):
        return f"BoxSpace(shape={self.shape}, dtype={self.dtype})"


class DiscreteSpace:
    """Actions: an integer in [0, n); `sample(mask)` picks uniformly among allowed ones (mask 1 = allowed)."""

    def __init__(self, n, seed=None):
        self.n = int(n)
        self.shape = ()
        self.dtype = np.dtype(np.int64)
        self._rng = np.random.default_rng(seed)

    def seed(self, seed=None):
        self._rng = np.random.default_rng(seed)

    def sample(self, mask=None):
        if mask is None:
            return int(self._rng.integers(self.n))
        allowed = np.flatnonzero(np.asarray(mask)[: self.n] == 1)
        return int(self._rng.choice(allowed)) if allowed.size else 0

    def contains(self, x):
        return isinstance(x, (int, np.integer)) and 0 <= int(x) < self.n

    def __repr__(self):
        return f"DiscreteSpace({self.n})"


class _Closed:
    def __init__(self, code, reason):
        self.code = code
        self.reason = reason


class KdmarlParallelEnv:
    """
    `token` is the server's control token (or `tokens_file`, whose `control` entry it is; the url
    defaults to the file's too). `timeout` bounds each wait for the server (seconds; None = forever).
    Observations are the scenario's default student views; `infos[agent]["action_mask"]` is the
    agent's mask (1 = allowed). An action that is not allowed is replaced by the server's fallback
    and flagged in `infos[agent]["replaced"]`. After an episode's last step `agents` is empty and
    the observations are the final ones; call `reset()` for the next episode.
    """

    metadata = {"render_modes": [], "is_parallelizable": True}

    def __init__(self, url=None, token=None, tokens_file=None, timeout=60.0):
        if tokens_file is not None:
            try:
                with open(tokens_file, "r", encoding="utf-8") as handle:
                    tokens = json.load(handle)
            except (OSError, json.JSONDecodeError) as error:
                raise EnvError(f"{tokens_file}: cannot read the tokens file ({getattr(error, 'strerror', None) or error})") from None
            url = url or tokens.get("url")
            token = token or tokens.get("control")
        if not url or not token:
            raise EnvError("KdmarlParallelEnv needs the server's url and control token (or tokens_file, written by kdmarl serve)")
        self.url = url
        self.timeout = timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kdmarl-env", daemon=True)
        self._thread.start()
        self._queue = None
        self._ws = None
        self._closed = False
        try:
            welcome = self._call(self._connect(token), self.timeout)
        except BaseException:
            self.close()
            raise
        self.welcome = welcome
        self.scenario = welcome["scenario"]
        self.possible_agents = list(welcome["agentNames"])
        self.agents = []
        slots = welcome["slots"]
        self._sizes = [int(s["observationSize"]) for s in slots]
        self._counts = [int(s["actionCount"]) for s in slots]
        self._obs_offsets = np.concatenate([[0], np.cumsum(self._sizes)]).astype(int)
        self._mask_offsets = np.concatenate([[0], np.cumsum(self._counts)]).astype(int)
        self.observation_spaces = {a: BoxSpace((n,)) for a, n in zip(self.possible_agents, self._sizes)}
        self.action_spaces = {a: DiscreteSpace(n) for a, n in zip(self.possible_agents, self._counts)}
        self.state_space = BoxSpace((int(welcome["stateSize"]),))
        self.metadata = {**KdmarlParallelEnv.metadata, "name": f"kdmarl_{self.scenario}"}
        self._round = None
        self._masks = None
        self._state = np.zeros(int(welcome["stateSize"]), dtype=np.float32)
        self.episode = 0
        self.t = 0

    # -- PettingZoo API ------------------------------------------------------------------------

    def observation_space(self, agent):
        return self.observation_spaces[agent]

    def action_space(self, agent):
        return self.action_spaces[agent]

    @property
    def num_agents(self):
        return len(self.agents)

    @property
    def max_num_agents(self):
        return len(self.possible_agents)

    def reset(self, seed=None, options=None):
        message = {"kind": "reset"}
        if seed is not None:
            message["seed"] = int(seed)
            for k, agent in enumerate(self.possible_agents):
                self.action_spaces[agent].seed(int(seed) + k)
        self._send(message)
        frame = None
        while True:
            value = self._next()
            if isinstance(value, list) and value and value[0] == FRAME_OBS:
                frame = value
            elif isinstance(value, dict) and value.get("kind") == "reset":
                break
        if frame is None or frame[1] != value["round"]:
            raise EnvError("the server's reset reply did not follow its observation frame (is another controller connected?)")
        self._state = value["state"]
        self.agents = list(self.possible_agents)
        observations, infos = self._take_observation(frame)
        return observations, infos

    def step(self, actions):
        if not self.agents:
            raise EnvError("step() after the episode ended: call reset()")
        wire = []
        for agent in self.possible_agents:
            if agent not in actions:
                raise EnvError(f"step(): no action for {agent} (give every agent in env.agents one)")
            wire.append(int(actions[agent]))
        self._send([FRAME_ACT, self._round, wire])
        result = self._next_array(FRAME_RESULT)
        _, _tick, _episode, _t, rewards, done, _won, state, final, replaced = result
        self._state = state
        next_frame = self._next_array(FRAME_OBS)
        if done:
            observations = self._split_observations(final)
            _, infos = self._take_observation(next_frame)
            self.agents = []
        else:
            observations, infos = self._take_observation(next_frame)
        rewards = {a: float(rewards[i]) for i, a in enumerate(self.possible_agents)}
        terminations = {a: done == 1 for a in self.possible_agents}
        truncations = {a: done == 2 for a in self.possible_agents}
        for i, agent in enumerate(self.possible_agents):
            infos[agent]["replaced"] = bool(replaced[i])
            if done:
                infos[agent]["won"] = bool(_won)
        return observations, rewards, terminations, truncations, infos

    def state(self):
        """The global state (the centralized critic's input) after the last reset or step."""
        return np.array(self._state, dtype=np.float32)

    def render(self):
        return None

    def close(self):
        if self._closed:
            return
        self._closed = True
        if self._ws is not None:
            try:
                asyncio.run_coroutine_threadsafe(self._ws.close(), self._loop).result(5)
            except Exception:
                pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()

    # -- frames --------------------------------------------------------------------------------

    def _take_observation(self, frame):
        _, round_id, episode, t, observations, masks = frame
        self._round = round_id
        self.episode = episode
        self.t = t
        self._masks = masks
        infos = {a: {"action_mask": masks[self._mask_offsets[i] : self._mask_offsets[i + 1]].copy()} for i, a in enumerate(self.possible_agents)}
        return self._split_observations(observations), infos

    def _split_observations(self, flat):
        return {a: np.array(flat[self._obs_offsets[i] : self._obs_offsets[i + 1]], dtype=np.float32) for i, a in enumerate(self.possible_agents)}

    def _next_array(self, tag):
        while True:
            value = self._next()
            if isinstance(value, list) and value and value[0] == tag:
                return value

    def _next(self):
        value = self._call(self._queue.get(), self.timeout)
        if isinstance(value, _Closed):
            self._queue.put_nowait(value)
            raise EnvError(_closed_message(self.url, value))
        return value

    def _send(self, value):
        if self._closed:
            raise EnvError("the env is closed")
        self._call(self._ws.send(encode(value)), self.timeout)

    def _call(self, coroutine, timeout):
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout)
        except (TimeoutError, concurrent.futures.TimeoutError):
            future.cancel()
            raise EnvError(f"no answer from {self.url} in {timeout:g} s (is the server paused?)") from None
        except websockets.ConnectionClosed:
            raise EnvError(_closed_message(self.url, _Closed(self._ws.close_code or 1006, self._ws.close_reason or ""))) from None

    async def _connect(self, token):
        self._queue = asyncio.Queue()
        try:
            self._ws = await websockets.connect(self.url, max_size=64 * 2**20, compression=None, open_timeout=10, close_timeout=1)
        except ConnectionRefusedError:
            raise EnvError(f"cannot reach {self.url}: connection refused (is kdmarl serve running, and is this its port?)") from None
        except (OSError, asyncio.TimeoutError, websockets.InvalidHandshake, websockets.InvalidURI) as error:
            raise EnvError(f"cannot reach {self.url}: {error or type(error).__name__}") from None
        await self._ws.send(encode({"kind": "hello", "version": PROTOCOL_VERSION, "role": "controller", "token": token}))
        asyncio.ensure_future(self._read())
        while True:
            value = await self._queue.get()
            if isinstance(value, _Closed):
                raise EnvError(_closed_message(self.url, value))
            if isinstance(value, dict) and value.get("kind") == "welcome":
                if value.get("version") != PROTOCOL_VERSION:
                    raise EnvError(f"{self.url} speaks protocol version {value.get('version')}, this kdmarl package {PROTOCOL_VERSION}")
                return value

    async def _read(self):
        try:
            async for frame in self._ws:
                if not isinstance(frame, str):
                    self._queue.put_nowait(decode(frame))
        except websockets.ConnectionClosed:
            pass
        self._queue.put_nowait(_Closed(self._ws.close_code or 1006, self._ws.close_reason or ""))


def _closed_message(url, closed):
    message = f"{url} closed the env's connection: {close_code_name(closed.code)} ({closed.code})"
    if closed.reason:
        message += f": {closed.reason}"
    if closed.code == 4004:
        message += "; pass the control token (tokens file 'control')"
    return message

"""KdmarlAgent: one slot of a kdmarl server, answered from Python.

    python3 -m kdmarl.agent --url ws://HOST:PORT/ --tokens tokens.json --slot 0 --policy student.json

The token comes from KDMARL_AGENT_TOKEN or the tokens file `kdmarl serve` writes. Each tick the
agent receives the slot's observation and mask, answers with the callback's action, and reports
its decision times about once a second. A dropped link is retried with backoff (50 ms doubling to
2 s, jittered), up to 30 s without a welcome; a close code that means the same hello would fail
again (bad token, wrong slot, another connection took the slot, shutdown...) ends it with one line.
"""

import asyncio
import logging
import os
import random
import sys
import time

import numpy as np
import websockets

from .policy import AgentPolicy, PolicyError, load_policy_json
from .wire import FATAL_CLOSE_CODES, FRAME_ACT, FRAME_OBS, PROTOCOL_VERSION, close_code_name, decode, encode

log = logging.getLogger("kdmarl.agent")

WINDOW = 64
TOKEN_ENV = "KDMARL_AGENT_TOKEN"


class AgentStopped(Exception):
    """The agent ended; `exit_code` 0 clean (server shutdown, scenario switch), 1 failed, 2 refused."""

    def __init__(self, message, exit_code=1, close_code=None):
        super().__init__(message)
        self.exit_code = exit_code
        self.close_code = close_code


def _rss_mb():
    try:
        with open("/proc/self/statm", "r") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


class KdmarlAgent:
    """
    decide(observation, mask, info) -> action: observation a float32 array of the slot's
    `observationSize`, mask a uint8 array of `actionCount` (1 = allowed), info the welcome's slot
    info plus `episode` and `t`. Without `decide`, `policy` (an exported student: a JSON path or
    its parsed dict) decides greedily. `on_weights(document)` may return a new decide callback for
    weights the supervisor pushes (a policy file as a dict of numpy arrays); without it, pushed
    weights replace `policy`'s when the agent runs one, and are refused otherwise.
    """

    def __init__(self, url, slot, token, decide=None, policy=None, caps=None, label="python", on_weights=None,
                 backoff=0.05, max_backoff=2.0, give_up_after=30.0, report_every=1.0, seed=None):
        if decide is None and policy is None:
            raise ValueError("KdmarlAgent needs decide(observation, mask, info) or policy (an exported student)")
        self.url = url
        self.slot = slot
        self.token = token
        self.caps = dict(caps or {})
        unheld = [name for name in ("cpu", "memoryMb") if name in self.caps]
        if unheld:
            raise ValueError(f"KdmarlAgent: caps {' and '.join(unheld)} are not held by the Python agent (no cgroup, no emulation), "
                             "so it does not declare them; cap the process yourself (systemd-run --scope -p CPUQuota=25% -p MemoryMax=128M ...) "
                             "or run the Node agent (kdmarl agent --cpu/--memory)")
        self.label = label
        self.on_weights = on_weights
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.give_up_after = give_up_after
        self.report_every = report_every
        self.rng = random.Random(seed)
        self._policy_document = load_policy_json(policy) if isinstance(policy, str) else policy
        self._policy = None
        self._decide = decide
        self._pending = None
        self.info = None
        self.welcome = None
        self.generation = 0
        self.decisions = 0
        self.reconnects = 0
        self._decide_ms = np.zeros(WINDOW)
        self._reply_ms = np.zeros(WINDOW)
        self._filled = 0
        self._ws = None
        self._stop = False

    # -- decisions -----------------------------------------------------------------------------

    def _start_policy(self, info):
        if self._decide is not None or self._policy_document is None:
            return
        try:
            policy = AgentPolicy(self._policy_document, info["agent"])
        except PolicyError as error:
            raise AgentStopped(f"refused: {error}", exit_code=2) from None
        if policy.observation_size != info["observationSize"] or policy.action_count != info["actionCount"]:
            raise AgentStopped(
                f"refused: the policy for {info['agent']} takes {policy.observation_size} observations and gives {policy.action_count} actions, "
                f"slot {self.slot} has {info['observationSize']} and {info['actionCount']} (was it trained on this scenario and view?)",
                exit_code=2,
            )
        self._policy = policy

    def _hello_view(self):
        """The view the policy was trained on, so the server sends that observation."""
        if self._policy_document is None or self._decide is not None:
            return {}
        document = self._policy_document
        if "nets" in document:
            return {"viewByAgent": {name: spec["view"] for name, spec in document.get("agents", {}).items() if "view" in spec}}
        return {"view": document["view"]} if document.get("view") is not None else {}

    def _choose(self, observation, mask, t, episode):
        if t == 0:
            if self._pending is not None:
                kind, value, generation = self._pending
                self._pending = None
                if kind == "policy":
                    self._policy = value
                else:
                    self._decide = value
                self.generation = generation
            if self._policy is not None:
                self._policy.reset()
        if self._decide is not None:
            return int(self._decide(observation, mask, {**self.info, "episode": episode, "t": t}))
        return self._policy.act(observation, mask)

    def _weights(self, message):
        """A supervisor's push: checked now, swapped in at the next episode start."""
        document = message.get("policy")
        try:
            if isinstance(document, np.ndarray):
                document = document.tobytes()
            if not isinstance(document, (bytes, bytearray)):
                raise PolicyError("weights message without policy bytes")
            try:
                document = decode(document)
            except Exception as error:
                raise PolicyError(f"pushed weights are not a kdmarl policy file (msgpack: {error})") from None
            if not isinstance(document, dict) or document.get("format") != "kdmarl-policy":
                raise PolicyError("pushed weights are not a kdmarl policy file (no format 'kdmarl-policy')")
            if self.on_weights is not None:
                decide = self.on_weights(document)
                if decide is None:
                    raise PolicyError("this agent's on_weights refused them")
                pending = ("decide", decide)
            elif self._policy is not None:
                policy = AgentPolicy(document, self.info["agent"], where="pushed weights")
                if policy.observation_size != self.info["observationSize"] or policy.action_count != self.info["actionCount"]:
                    raise PolicyError(f"pushed weights take {policy.observation_size} observations and give {policy.action_count} actions; the slot has {self.info['observationSize']} and {self.info['actionCount']}")
                pending = ("policy", policy)
            else:
                raise PolicyError("this agent runs a callback without on_weights: it cannot take pushed weights")
        except Exception as error:  # any bad push is refused with its reason, the agent keeps running
            log.warning("pushed weights refused: %s", error)
            return {"kind": "weights-ack", "id": message.get("id"), "ok": False, "generation": self.generation, "error": str(error)[:2000]}
        generation = self.generation + 1
        self._pending = (pending[0], pending[1], generation)
        return {"kind": "weights-ack", "id": message.get("id"), "ok": True, "generation": generation}

    def _record(self, decide_ms, reply_ms):
        k = self.decisions % WINDOW
        self._decide_ms[k] = decide_ms
        self._reply_ms[k] = reply_ms
        self.decisions += 1
        self._filled = min(WINDOW, self._filled + 1)

    def report(self):
        """What the Node agent reports: medians of the last 64 decisions (ms). No `enforcement`: it
        declares no cpu or memory cap (the constructor refuses them), and the protocol leaves the
        field out without either."""
        n = self._filled
        median = lambda values: float(np.sort(values[:n])[(n - 1) // 2]) if n else 0.0
        rss = _rss_mb()
        flops = self._policy.flops if self._policy is not None and self._decide is None else 0
        slot = {"slot": self.slot, "decideMs": median(self._decide_ms), "replyMs": median(self._reply_ms), "flops": flops, "decisions": self.decisions}
        return {"kind": "report", "slots": [slot], "rssMb": rss, "heapMb": rss, "generation": self.generation}

    # -- the link ------------------------------------------------------------------------------

    def run(self):
        """Run until a fatal close, giving up, or stop(); raises AgentStopped for anything but a clean end."""
        return asyncio.run(self.run_async())

    def stop(self):
        self._stop = True
        if self._ws is not None:
            asyncio.ensure_future(self._ws.close())

    async def run_async(self):
        attempt = 0
        last_welcome = time.monotonic()
        said_dropped = False
        while not self._stop:
            attempt += 1
            unreachable = None
            try:
                async with websockets.connect(self.url, max_size=16 * 2**20, compression=None, open_timeout=10, close_timeout=1) as ws:
                    self._ws = ws
                    if await self._session(ws):
                        attempt, last_welcome, said_dropped = 1, time.monotonic(), False
                # Closed by either side (close_code and close_reason exist in every websockets version).
                code, reason = ws.close_code or 1006, ws.close_reason or ""
                if self._stop:
                    return 0
                if code in FATAL_CLOSE_CODES:
                    clean = code in (4000, 4011)
                    message = f"slot {self.slot}: the server closed the connection: {close_code_name(code)} ({code}): {reason}"
                    if code == 4004:
                        message += f"; check {TOKEN_ENV} or --tokens FILE"
                    if clean:
                        log.info(message)
                        return 0
                    raise AgentStopped(message, exit_code=1, close_code=code) from None
                if not said_dropped:
                    said_dropped = True
                    log.warning("slot %d: link dropped (%s %s); reconnecting", self.slot, code, reason)
            except (OSError, asyncio.TimeoutError, websockets.InvalidHandshake, websockets.InvalidURI) as error:
                unreachable = _describe_failure(error)
            finally:
                self._ws = None
            waited = time.monotonic() - last_welcome
            if waited > self.give_up_after:
                why = f"cannot reach {self.url}: {unreachable}" if unreachable else f"{self.url}: the link keeps dropping"
                raise AgentStopped(f"slot {self.slot}: {why}; gave up after {self.give_up_after:g} s")
            delay = min(self.max_backoff, self.backoff * 2 ** min(10, attempt - 1)) * (0.5 + 0.5 * self.rng.random())
            await asyncio.sleep(delay)
        return 0

    async def _session(self, ws):
        """One connection: hello, welcome, then frames until it closes; whether it was welcomed."""
        claim = {"slot": self.slot, "token": self.token, "caps": self.caps, "policy": self.label}
        view = self._hello_view()
        hello = {"kind": "hello", "version": PROTOCOL_VERSION, "role": "agent", "slots": [claim], "pid": os.getpid()}
        if "view" in view:
            claim["view"] = view["view"]
        elif view.get("viewByAgent"):
            hello["viewByAgent"] = view["viewByAgent"]
        await ws.send(encode(hello))
        welcomed = False
        reporter = None
        try:
            async for frame in ws:
                received = time.perf_counter()
                if isinstance(frame, str):
                    continue
                message = decode(frame)
                if isinstance(message, list):
                    if welcomed and len(message) == 6 and message[0] == FRAME_OBS:
                        await self._answer(ws, message, received)
                    continue
                kind = message.get("kind") if isinstance(message, dict) else None
                if kind == "welcome":
                    self._on_welcome(message)
                    welcomed = True
                    reporter = asyncio.ensure_future(self._report_loop(ws))
                elif kind == "weights":
                    await ws.send(encode(self._weights(message)))
                elif kind == "error":
                    log.debug("server error %s: %s", message.get("code"), message.get("message"))
        except websockets.ConnectionClosed:
            pass
        finally:
            if reporter is not None:
                reporter.cancel()
        return welcomed

    def _on_welcome(self, welcome):
        slots = welcome.get("slots") or []
        if len(slots) != 1:
            raise AgentStopped(f"welcome lists {len(slots)} slots, this agent claimed 1")
        info = slots[0]
        if self.info is not None:
            if info["observationSize"] != self.info["observationSize"]:
                raise AgentStopped(f"slot {self.slot} changed its observation size across a reconnect")
            self.reconnects += 1
            log.info("slot %d: reconnected (%d)", self.slot, self.reconnects)
        else:
            self._start_policy(info)
            log.info("slot %d: %s in %s, %d observations, %d actions", self.slot, info["agent"], welcome.get("scenario"), info["observationSize"], info["actionCount"])
        self.info = info
        self.welcome = welcome

    async def _answer(self, ws, frame, received):
        _, round_id, episode, t, observations, masks = frame
        start = time.perf_counter()
        action = self._choose(observations, masks, t, episode)
        decided = time.perf_counter()
        await ws.send(encode([FRAME_ACT, round_id, [action]]))
        self._record((decided - start) * 1000.0, (time.perf_counter() - received) * 1000.0)

    async def _report_loop(self, ws):
        while True:
            await asyncio.sleep(self.report_every)
            await ws.send(encode(self.report()))


def _describe_failure(error):
    if isinstance(error, ConnectionRefusedError):
        return "connection refused (is kdmarl serve running, and is this its port?)"
    if isinstance(error, asyncio.TimeoutError):
        return "timed out"
    status = getattr(error, "status_code", None) or getattr(getattr(error, "response", None), "status_code", None)
    if status is not None:
        return f"HTTP {status} instead of a WebSocket (is this the server's ws:// URL?)"
    if isinstance(error, websockets.InvalidURI):
        return f"not a ws:// URL"
    return str(error) or type(error).__name__


if __name__ == "__main__":
    from .agent_cli import main

    sys.exit(main())

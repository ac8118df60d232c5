"""kdmarl from Python: agents for a kdmarl server's slots, and the server as a PettingZoo-style env.

Only the standard library, websockets, msgpack and numpy. The wire format is docs/protocol.md's.
"""

from .policy import AgentPolicy, PolicyError, load_policy_json
from .wire import PROTOCOL_VERSION, decode, encode

__all__ = ["AgentPolicy", "AgentStopped", "KdmarlAgent", "KdmarlParallelEnv", "PolicyError", "PROTOCOL_VERSION", "decode", "encode", "load_policy_json"]

_LAZY = {"KdmarlAgent": "agent", "AgentStopped": "agent", "KdmarlParallelEnv": "env", "EnvError": "env"}


def __getattr__(name):
    # Imported on first use, so `python3 -m kdmarl.agent` runs a module not yet imported.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'kdmarl' has no attribute '{name}'")

"""`python3 -m kdmarl.agent`: its flags, the slot's token, and one line for anything that stops it."""

import argparse
import json
import logging
import os
import random
import sys

import numpy as np

from .agent import TOKEN_ENV, AgentStopped, KdmarlAgent
from .policy import PolicyError


def read_token(slot, tokens_file=None, environ=os.environ):
    """The slot's token: KDMARL_AGENT_TOKEN, else the tokens file's entry for the slot."""
    if environ.get(TOKEN_ENV):
        return environ[TOKEN_ENV]
    if tokens_file is None:
        raise AgentStopped(f"no token for slot {slot}: set {TOKEN_ENV} or pass --tokens FILE (written by kdmarl serve)")
    tokens = read_tokens_file(tokens_file)
    for entry in tokens.get("slots", []):
        if entry.get("slot") == slot:
            return entry["token"]
    raise AgentStopped(f"{tokens_file}: no token for slot {slot} (it lists slots {', '.join(str(e.get('slot')) for e in tokens.get('slots', []))})")


def read_tokens_file(path):
    try:
        with open(path, "r", encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as error:
        raise AgentStopped(f"{path}: cannot read the tokens file ({error.strerror or error})") from None
    except json.JSONDecodeError as error:
        raise AgentStopped(f"{path}: not a kdmarl tokens file ({error.msg})") from None


def _random_policy(rng):
    def decide(observation, mask, info):
        allowed = np.flatnonzero(np.asarray(mask) == 1)
        return int(allowed[rng.randrange(len(allowed))]) if allowed.size else 0

    return decide


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m kdmarl.agent", description="Answer one slot of a kdmarl server from Python.")
    parser.add_argument("--url", help="the server's ws:// URL (default: the tokens file's)")
    parser.add_argument("--tokens", help="the tokens file kdmarl serve wrote (or set KDMARL_AGENT_TOKEN)")
    parser.add_argument("--slot", type=int, required=True)
    parser.add_argument("--policy", default=None, help="a student exported with kdmarl export --format json, or 'random'")
    parser.add_argument("--deadline", type=float, default=None, help="ms the server waits for this slot (caps.deadlineMs)")
    parser.add_argument("--give-up", type=float, default=30.0, help="seconds to keep reconnecting without a welcome")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="kdmarl agent: %(message)s", stream=sys.stderr)
    try:
        url = args.url
        if url is None:
            if args.tokens is None:
                raise AgentStopped("give --url ws://HOST:PORT/ or --tokens FILE (its url is used)")
            url = read_tokens_file(args.tokens).get("url")
        token = read_token(args.slot, args.tokens)
        caps = {"deadlineMs": args.deadline} if args.deadline else {}
        rng = random.Random(args.seed)
        if args.policy is None:
            raise AgentStopped("give --policy FILE (a student exported with kdmarl export --format json) or --policy random")
        if args.policy == "random":
            agent = KdmarlAgent(url, args.slot, token, decide=_random_policy(rng), caps=caps, label="random", give_up_after=args.give_up, seed=args.seed)
        else:
            agent = KdmarlAgent(url, args.slot, token, policy=args.policy, caps=caps, label="student", give_up_after=args.give_up, seed=args.seed)
        return agent.run()
    except (AgentStopped, PolicyError) as error:
        print(f"kdmarl agent: {error}", file=sys.stderr)
        return getattr(error, "exit_code", 2)
    except KeyboardInterrupt:
        return 0

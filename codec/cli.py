"""``msp``: the codec's command line.

Each subcommand lives in a module of :mod:`codec.commands` exposing ``register(subparsers)``;
this file only assembles them and turns our own errors into a one-line message and a
non-zero exit code (no traceback for anything a user can cause).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from codec.allocator import retain_freed_memory
from codec.errors import CodecError

__all__ = ["main", "build_parser"]

COMMAND_MODULES = (
    "codec.commands.coding",  # encode, decode, info, profiles
    "codec.commands.bench",  # bench
    "codec.commands.train",  # train, export
    "codec.commands.evaluate",  # eval, plot
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="msp", description="MSP learned image codec")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # a command group not written yet
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    retain_freed_memory()  # this process codes images: keep freed tensors' memory (codec.allocator)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = args.func(args)
    except CodecError as exc:
        print(f"msp {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `msp plot | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"msp {args.command}: interrupted", file=sys.stderr)
        return 130
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())

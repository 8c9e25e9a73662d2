"""A child process for the interruption and lock tests: ``adamforge`` with three fake steps
(simulate, derive, tlf), each writing ``<out>/<step>/result.txt``; the step named in argv[1]
starts a staged folder and an atomic file, writes ``<out>/READY`` and hangs (to be killed).

Usage: python tests/runstate_child.py HANG_STEP|none adamforge-arguments...
"""

import argparse
import os
import sys
import time

from adamforge import cli


class _Step:
    def __init__(self, name, hang):
        self.name, self.hang = name, hang

    def run(self, args, ctx):
        from adamforge.io import atomic_path, staged_dir

        if self.name == self.hang:
            with staged_dir(ctx.out / self.name) as stage:
                (stage / "result.txt").write_text("half-written")
                with atomic_path(ctx.out / f"{self.name}.txt") as tmp:
                    tmp.write_text("half-written")
                    (ctx.out / "READY").write_text(str(os.getpid()))
                    time.sleep(120)
        with staged_dir(ctx.out / self.name) as stage:
            (stage / "result.txt").write_text(f"made by pid {os.getpid()}")
        return 0


def main():
    hang, argv = sys.argv[1], sys.argv[2:]
    sys.argv = [sys.argv[0], *argv]  # the log and markers show the adamforge command line
    steps = tuple(cli.StepDef(n, n, "fake", outputs=(n,)) for n in ("simulate", "derive", "tlf"))
    cli.STEPS = steps
    cli._load = lambda step: _Step(step.name, hang)

    def parser():
        p = argparse.ArgumentParser()
        sub = p.add_subparsers(dest="command")
        for n in ("run", *(s.name for s in steps)):
            cli._add_common(sub.add_parser(n))
        return p

    cli.build_parser = parser
    sys.exit(cli.main(argv))


if __name__ == "__main__":
    main()

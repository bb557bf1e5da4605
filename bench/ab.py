#!/usr/bin/python3
"""Whole commands timed in alternation: run 1 of every command, then run 2 of every command, ...

On a VM whose speed drifts from minute to minute, hyperfine's "all runs of A, then all runs of B"
puts the drift between A and B; alternating spreads it over both. Prints each command's median
wall time and median CPU time (user + system of the process and its threads).

usage: bench/ab.py RUNS 'COMMAND A' 'COMMAND B' ...   (each command split on spaces, no shell)
e.g.   bench/ab.py 30 "build/mnistlr eval w.bin" "build/mnistlr eval w.bin --errors e.png --confusion c.png"
"""
import os
import statistics
import sys
import time


def run(argv):
    t = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        try:
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"ab.py: {' '.join(argv)} failed (status {status})")
    return time.perf_counter() - t, ru.ru_utime + ru.ru_stime


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    n, cmds = int(sys.argv[1]), [c.split() for c in sys.argv[2:]]
    wall = [[] for _ in cmds]
    cpu = [[] for _ in cmds]
    for _ in range(n):
        for j, c in enumerate(cmds):
            w, u = run(c)
            wall[j].append(w)
            cpu[j].append(u)
    for c, w, u in zip(cmds, wall, cpu):
        print(f"{statistics.median(w) * 1000:7.1f} ms wall  {statistics.median(u) * 1000:7.1f} ms cpu  {' '.join(c)[:80]}")


if __name__ == "__main__":
    main()

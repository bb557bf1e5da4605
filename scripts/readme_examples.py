#!/usr/bin/env python3
"""Runs every `$ mnistlr ...` example of the README, in order, in the current directory, and fails
when one exits non-zero or its output no longer matches what the README shows.

    scripts/readme_examples.py README.md

The directory must look like a clone after set-up plus install: `mnistlr` on the PATH, MNIST in
data/mnist, tests/data/seven.png (scripts/test-install.sh prepares one with the source tree
hidden). Examples run one after the other, so that `eval weights.bin` sees the weights the
`train` example before it wrote.

How the README's output is read:
- a line that is `...` stands for any number of lines (output left out);
- `...` inside a line stands for any text;
- timings vary from run to run: the number in "trained in N s" and the values of "seconds" in
  JSON are not compared;
- an example whose command ends in a comment saying "exit N" shows a failure: it must exit with
  status N, and the lines shown are what it prints on stderr;
- an example whose command ends in a comment saying "abridged" shows JSON abridged by hand: the
  README's object, read with its `...` left out, must be contained in the real one (each key shown
  has the value shown; floats within 1e-6 relative, as their last digits depend on the CPU).
"""
import json
import re
import subprocess
import sys

TIMING = [
    (re.compile(r"trained in [0-9]+(\.[0-9]+)? s"), "trained in <time> s"),
]


def examples(text):
    """(line number, command, expected output lines) for each `$ mnistlr` line in a ``` block."""
    out = []
    lines = text.split("\n")
    in_block = False
    current = None
    for number, line in enumerate(lines, 1):
        if line.startswith("```"):
            if in_block and current:
                out.append(current)
            current = None
            in_block = not in_block
            continue
        if not in_block:
            continue
        if line.startswith("$ "):
            if current:
                out.append(current)
            current = (number, line[2:], []) if line.startswith("$ mnistlr ") else None
        elif current:
            current[2].append(line)
    return out


def normalized(line):
    for pattern, replacement in TIMING:
        line = pattern.sub(replacement, line)
    return line.rstrip()


def line_matches(expected, actual):
    if "..." not in expected:
        return expected == actual
    parts = [re.escape(p) for p in expected.split("...")]
    return re.fullmatch(".*".join(parts), actual) is not None


def lines_match(expected, actual):
    """Expected lines against actual ones; a line `...` matches any run of lines (backtracking)."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(lines_match(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and line_matches(expected[0], actual[0]) and lines_match(expected[1:], actual[1:])


def contained(shown, real, path="$"):
    """None when every key and value of `shown` is in `real` ("seconds" values not compared), else why not."""
    if isinstance(shown, dict):
        if not isinstance(real, dict):
            return f"{path}: expected an object"
        for key, value in shown.items():
            if key not in real:
                return f"{path}.{key}: missing"
            if key == "seconds":
                continue
            why = contained(value, real[key], f"{path}.{key}")
            if why:
                return why
        return None
    if isinstance(shown, float) and isinstance(real, (int, float)) and not isinstance(real, bool):
        # The last digits of a float64 printed from float32 sums depend on the kernel variant's
        # summation order (AVX-512, AVX2, baseline): 0.3114281545891757 / ...515895487 / ...487997981.
        close = abs(shown - real) <= 1e-6 * max(abs(shown), abs(real))
        return None if close else f"{path}: README shows {shown!r}, got {real!r}"
    return None if shown == real else f"{path}: README shows {shown!r}, got {real!r}"


def abridged_json(lines):
    """The README's hand-abridged JSON with its `...` left out."""
    text = "\n".join(lines)
    text = re.sub(r",\s*\.\.\.\s*}", "}", text)
    return json.loads(text)


def main():
    if len(sys.argv) != 2:
        print("usage: readme_examples.py README.md", file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        found = examples(f.read())
    failures = 0
    for number, command, expected in found:
        comment = command.split("#", 1)[1] if "#" in command else ""
        run = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True)
        # "# exit N" in the comment: the example shows a failure, its status N and what it says on stderr.
        status = re.search(r"\bexit ([0-9]+)\b", comment)
        want = int(status.group(1)) if status else 0
        shown = run.stderr if status else run.stdout
        actual = [normalized(l) for l in shown.rstrip("\n").split("\n")] if shown else []
        why = None
        if run.returncode != want:
            why = f"exit {run.returncode} (expected {want}): {run.stderr.strip()}"
        elif "abridged" in comment:
            try:
                why = contained(abridged_json(expected), json.loads(run.stdout))
            except json.JSONDecodeError as e:
                why = f"not JSON ({e})"
        elif not lines_match([normalized(l) for l in expected], actual):
            why = "output differs:\n  README:\n    " + "\n    ".join(expected) + "\n  got:\n    " + "\n    ".join(actual)
        print(f"README.md:{number}: {'ok' if not why else 'FAIL'}: $ {command}")
        if why:
            print("  " + why)
            failures += 1
    print(f"{len(found) - failures} of {len(found)} README examples ok")
    return 1 if failures or not found else 0


if __name__ == "__main__":
    sys.exit(main())

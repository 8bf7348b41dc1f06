"""Benchmark of wildcard matching on adversarial patterns: time against value length.

A pattern such as ``*a*a*a*a*a*a*a*b`` against a long run of ``a`` is the worst case of a
backtracking matcher: the value has no ``b``, so it tries every way of spreading the value
over the seven stars before giving up, about ``n**7 / 7!`` attempts for ``n`` characters.
iamd's matcher (``iamd.policy.matching``) takes each piece between stars at its leftmost
occurrence and never revisits a choice, so its time grows linearly with ``n``.

Measured here, in the same run:

* ``iamd``: ``compile_globs`` as the policy engine uses it (actions: plain globs; resources:
  ``arn=True``, segment by segment);
* ``regex``: the matcher iamd used before issue 11, rebuilt below as the baseline: every
  glob translated to one regular expression (``*`` -> ``.*`` or ``[^:]*``) and run with
  ``re.fullmatch``. It is measured at growing lengths until one call takes longer than
  ``--budget`` seconds; longer values are not tried (the next length would take hours).

Run on purpose, not in the test suite::

    .venv/bin/python bench/wildcard_matching.py            # prints a Markdown report
    .venv/bin/python bench/wildcard_matching.py --quick    # a smoke run
"""

from __future__ import annotations

import argparse
import math
import platform
import re
import sys
import time
from collections.abc import Callable

from iamd.policy.matching import Glob, compile_globs, glob_tokens

ARN_PREFIX = "arn:aws:s3:::"


# -- the baseline: the backtracking regular expression iamd used before ----------------------

def regex_source(glob: Glob, *, arn: bool) -> str:
    parts: list[str] = []
    colons = 0
    for tok in glob:
        in_segment = arn and colons < 5
        if tok == "*":
            parts.append("[^:]*" if in_segment else ".*")
        elif tok == "?":
            parts.append("[^:]" if in_segment else ".")
        else:
            text = tok[1:]
            if in_segment:
                colons += text.count(":")
            parts.append(re.escape(text))
    return "".join(parts)


def regex_matcher(pattern: str, *, arn: bool) -> Callable[[str], object]:
    return re.compile(regex_source(glob_tokens(pattern), arn=arn), re.DOTALL).fullmatch


def iamd_matcher(pattern: str, *, arn: bool) -> Callable[[str], object]:
    return compile_globs((glob_tokens(pattern),), arn=arn)


# -- the cases ----------------------------------------------------------------------------

CASES: list[tuple[str, str, bool, Callable[[int], str]]] = [
    # (name, pattern, ARN matching?, value of length n)
    ("the issue's attack: 7 × `*a` then `*b` in an ARN's resource part",
     ARN_PREFIX + "*a" * 7 + "*b", True, lambda n: ARN_PREFIX + "a" * (n - len(ARN_PREFIX))),
    # A trailing star lets ``b`` sit anywhere, so no end check can cut the search short:
    # both matchers must read the whole value.
    ("7 × `*a`, then `*b*` (StringLike, actions)", "*a" * 7 + "*b*", False,
     lambda n: "a" * n),
    ("7 × `*a?`, then `*b?*` (pieces with `?`)", "*a?" * 7 + "*b?*", False,
     lambda n: "a" * n),
]

IAMD_LENGTHS = [48, 480, 4800, 48000, 480000]
REGEX_LENGTHS = [16, 20, 24, 28, 32, 40, 48, 64, 96, 480, 4800]


def time_call(test: Callable[[str], object], value: str, repeat: int) -> float:
    """Seconds per call, the fastest of ``repeat`` rounds (other load only slows a run)."""
    best = float("inf")
    calls = 1
    while True:
        started = time.perf_counter()
        for _ in range(calls):
            test(value)
        elapsed = time.perf_counter() - started
        if elapsed > 0.05 or calls >= 1 << 16:
            break
        calls *= 4
    best = elapsed / calls
    for _ in range(repeat - 1):
        started = time.perf_counter()
        for _ in range(calls):
            test(value)
        best = min(best, (time.perf_counter() - started) / calls)
    return best


def fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:,.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:,.1f} ms"
    return f"{seconds:,.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=float, default=10.0,
                        help="stop timing the regex baseline once one call takes longer (s)")
    parser.add_argument("--quick", action="store_true", help="short lengths and budget")
    args = parser.parse_args()
    iamd_lengths = IAMD_LENGTHS[:3] if args.quick else IAMD_LENGTHS
    regex_lengths = REGEX_LENGTHS
    budget = 0.5 if args.quick else args.budget

    print(f"Python {platform.python_version()}, {platform.machine()} {platform.system()}, "
          f"regex budget {budget:g} s per call\n")
    for name, pattern, arn, make in CASES:
        test = iamd_matcher(pattern, arn=arn)
        baseline = regex_matcher(pattern, arn=arn)
        # Both matchers must agree wherever the baseline finishes.
        for n in (16, 24):
            for value in (make(n), make(n) + "b"):
                assert bool(test(value)) is bool(baseline(value)), (pattern, value)
        print(f"### {name}\n\npattern `{pattern}`\n")
        print("| value length | iamd (greedy pieces) | per 1,000 chars | regex baseline |")
        print("| ---: | ---: | ---: | ---: |")
        regex_times: dict[int, float] = {}
        stopped_after: int | None = None
        for n in regex_lengths:
            if stopped_after is not None:
                break
            regex_times[n] = time_call(baseline, make(n), 1 if n >= 32 else 3)
            known = sorted(regex_times)
            following = [m for m in regex_lengths if m > n]
            if regex_times[n] > budget or not following:
                stopped_after = n
            elif len(known) >= 2 and regex_times[known[-2]] > 1e-4:
                # Growth so far, ``t ~ n**k``: skip a length that would blow the budget.
                before = known[-2]
                k = math.log(regex_times[n] / regex_times[before]) / math.log(n / before)
                if regex_times[n] * (following[0] / n) ** k > budget:
                    stopped_after = n
        for n in sorted(set(iamd_lengths) | set(regex_times)):
            ours = time_call(test, make(n), 5) if n in iamd_lengths or n in regex_times else None
            theirs = regex_times.get(n)
            if theirs is not None:
                theirs_text = fmt(theirs)
            elif stopped_after is not None and n > stopped_after:
                theirs_text = "not run"
            else:
                theirs_text = "—"
            assert ours is not None
            print(f"| {n:,} | {fmt(ours)} | {fmt(ours / n * 1000)} | {theirs_text} |")
        if stopped_after is not None:
            print(f"\nThe baseline took {fmt(regex_times[stopped_after])} for one call at "
                  f"{stopped_after} characters; longer values were not tried (their time, "
                  "extrapolated from the growth so far, is over the budget).")
        print()
    sys.stdout.flush()


if __name__ == "__main__":
    main()

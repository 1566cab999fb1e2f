#!/usr/bin/env python3
"""Side-by-side training-step benchmark: retune against PyTorch eager, alternating A B A B.

Runs build/bench/retune_train_bench and ../shared/peers/torch_lora_cpu.py with the same shape
(SmolLM2-135M, LoRA r16 all-linear or --full, B x T, threads) one after the other, ROUNDS
times each, so that both see the same machine state; prints each run, both medians and their
ratios, and records everything with the machine and versions in
bench/results/train-ab-DATE-Nt-bB-tT[-full].json (or --out FILE).

  bench/run_train_ab.py [--rounds 3] [--threads 2] [--batch 4] [--seq 256] [--steps 4] [--full]
                        [--python PYTHON] [--build build] [--out FILE]

The peer needs torch in PYTHON (Debian's python3-torch is the reference peer of
../shared/BENCHMARKS.md). Only the Python standard library is used here.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEER = os.path.join(os.path.dirname(REPO), "shared", "peers", "torch_lora_cpu.py")


def last_json_line(text, what):
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    sys.exit(f"{what} printed no JSON line:\n{text}")


def run(argv, what):
    env = dict(os.environ)
    env.pop("OMP_WAIT_POLICY", None)
    done = subprocess.run(argv, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"{what} failed ({done.returncode}): {' '.join(argv)}\n{done.stderr[-3000:]}")
    return last_json_line(done.stdout, what)


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
            "load_average_at_start": list(os.getloadavg())}


def retune_commit():
    """HEAD of the repository, with "+changes" when tracked files differ from it."""
    def git(*args):
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else None
    head = git("rev-parse", "--short", "HEAD")
    changed = git("status", "--porcelain", "--untracked-files=no")
    return None if head is None else head + ("+changes" if changed else "")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--seq", type=int, default=256)
    p.add_argument("--steps", type=int, default=4, help="timed steps per run, after one warm-up")
    p.add_argument("--full", action="store_true", help="full fine-tuning instead of LoRA r16")
    p.add_argument("--python", default="python3", help="the Python that runs the torch peer")
    p.add_argument("--build", default=os.path.join(REPO, "build"))
    p.add_argument("--out")
    a = p.parse_args()

    bench = os.path.join(a.build, "bench", "retune_train_bench")
    if not os.access(bench, os.X_OK):
        sys.exit(f"{bench} missing: cmake --build {a.build} --target retune_train_bench")
    if not os.path.isfile(PEER):
        sys.exit(f"{PEER} missing")
    shape = ["--batch", str(a.batch), "--seq", str(a.seq), "--steps", str(a.steps),
             "--threads", str(a.threads)] + (["--full"] if a.full else [])
    retune_argv = [bench] + shape
    peer_argv = [a.python, PEER] + shape
    context = machine()
    retune_runs, peer_runs = [], []
    for r in range(a.rounds):
        retune_runs.append(run(retune_argv, "retune_train_bench"))
        print(f"round {r + 1} retune: {retune_runs[-1]['tokens_per_second']:.1f} tokens/s, "
              f"peak RSS {retune_runs[-1]['peak_rss_bytes'] / 2**30:.2f} GiB", flush=True)
        peer_runs.append(run(peer_argv, "torch_lora_cpu.py"))
        print(f"round {r + 1} torch {peer_runs[-1]['torch']}: {peer_runs[-1]['tok_s']:.1f} tokens/s, "
              f"peak RSS {peer_runs[-1]['peak_rss_mib'] / 1024:.2f} GiB", flush=True)

    retune_tps = statistics.median(x["tokens_per_second"] for x in retune_runs)
    peer_tps = statistics.median(x["tok_s"] for x in peer_runs)
    retune_rss = statistics.median(x["peak_rss_bytes"] for x in retune_runs) / 2**30
    peer_rss = statistics.median(x["peak_rss_mib"] for x in peer_runs) / 1024
    summary = {
        "retune_tokens_per_second": retune_tps, "peer_tokens_per_second": peer_tps,
        "speed_ratio": retune_tps / peer_tps,
        "retune_peak_rss_gib": retune_rss, "peer_peak_rss_gib": peer_rss,
        "memory_ratio": retune_rss / peer_rss,
    }
    print(f"medians of {a.rounds}: retune {retune_tps:.1f} tokens/s, {retune_rss:.2f} GiB; "
          f"torch {peer_runs[0]['torch']} {peer_tps:.1f} tokens/s, {peer_rss:.2f} GiB; "
          f"speed {summary['speed_ratio']:.2f}x, memory {summary['memory_ratio']:.2f}x")

    now = datetime.datetime.now(datetime.timezone.utc)
    out = a.out or os.path.join(REPO, "bench", "results", "train-ab-{}-{}t-b{}-t{}{}.json".format(
        now.strftime("%Y-%m-%d"), a.threads, a.batch, a.seq, "-full" if a.full else ""))
    record = {
        "date_utc": now.isoformat(timespec="seconds"),
        "command": "bench/run_train_ab.py " + " ".join(sys.argv[1:]),
        "shape": {"model": "SmolLM2-135M (random weights)", "method": "full" if a.full else "lora_r16_all_linear",
                  "batch": a.batch, "seq": a.seq, "threads": a.threads, "timed_steps_per_run": a.steps},
        "order": "retune then the peer, alternating, rounds times",
        "machine": context,
        "retune": {"commit": retune_commit(), "blas": retune_runs[0]["blas"]},
        "peer": {"script": "../shared/peers/torch_lora_cpu.py", "torch": peer_runs[0]["torch"],
                 "python": a.python},
        "summary": summary,
        "retune_runs": retune_runs,
        "peer_runs": peer_runs,
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=1)
        f.write("\n")
    print(f"recorded {os.path.relpath(out, REPO)}")


if __name__ == "__main__":
    main()

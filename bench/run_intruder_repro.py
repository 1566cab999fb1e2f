#!/usr/bin/env python3
"""A small reproduction of "LoRA vs Full Fine-tuning: An Illusion of Equivalence" (METHODS.md D1):
do low-rank LoRA updates bring intruder dimensions that full fine-tuning does not?

On the comparison example's base (examples/compare-base.yaml: a 125k-parameter Qwen2-shaped model
pretrained on copy, reverse and maximum) each setting fine-tunes the new task, sort, for the
comparison's budget (200 steps of 16 rows, cosine schedule) with several seeds: LoRA of rank 1,
2, 8 and 32 on every linear (alpha 2r, lr 3e-3), rsLoRA of rank 32, and full fine-tuning
(lr 1e-3). Then `retune analyze intruders` counts, over the 14 linears of the two layers, the
top-10 singular vectors of W0 + ΔW whose largest |cosine| with W0's singular vectors is below ε
(counts at several ε come from the reported cosines), and `retune eval` scores exact match on the
new task's test file and the old tasks' test files.

  bench/run_intruder_repro.py [--build build] [--seeds 0,1,2] [--work DIR] [--out FILE]

The base must exist (`retune init ...` and `retune train examples/compare-base.yaml`, as
examples/compare.yaml says). Results: bench/results/intruders-DATE.json (or --out) and a table.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import statistics

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(REPO, "examples")
BASE = os.path.join(EXAMPLES, "runs", "compare-base", "model")
DATA = os.path.join(EXAMPLES, "data", "compare")
EPSILONS = [0.3, 0.4, 0.5, 0.6]

SETTINGS = [
    ("lora r1", {"method": "lora", "lora": {"r": 1, "alpha": 2}, "lr": 3e-3}),
    ("lora r2", {"method": "lora", "lora": {"r": 2, "alpha": 4}, "lr": 3e-3}),
    ("lora r8", {"method": "lora", "lora": {"r": 8, "alpha": 16}, "lr": 3e-3}),
    ("lora r32", {"method": "lora", "lora": {"r": 32, "alpha": 64}, "lr": 3e-3}),
    ("rslora r32", {"method": "lora", "lora": {"r": 32, "alpha": 16, "use_rslora": True},
                    "lr": 3e-3}),
    ("full", {"method": "full", "lr": 1e-3}),
]


def train_config(setting, seed, output):
    lines = [
        f"model: {BASE}",
        f"output: {output}",
        f"method: {setting['method']}",
        f"data: {{train: {os.path.join(DATA, 'sort-train.jsonl')}, seq_len: 64}}",
        f"training: {{batch_size: 16, steps: 200, lr: {setting['lr']}, seed: {seed}}}",
        "schedule: {kind: cosine, warmup_steps: 10, min_lr_ratio: 0.1}",
        "save_every: 0",
        "threads: 1",
    ]
    if "lora" in setting:
        lora = dict(setting["lora"], target_modules="all-linear")
        lines.append("lora: " + json.dumps(lora))
    return "\n".join(lines) + "\n"


def run(command):
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def accuracy(retune, model_args, files):
    """The mean exact match over `files` of the model `model_args` name (--model, --adapter)."""
    out = json.loads(run([retune, "eval", *model_args, "--seq-len", "64", "--threads", "1",
                          "--json", "--data", *files]))
    return statistics.mean(f["exact_match"]["accuracy"] for f in out["files"])


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(REPO, "build"))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--work", default="/tmp/retune-intruder-repro")
    parser.add_argument("--out")
    args = parser.parse_args()
    retune = os.path.join(args.build, "src", "retune")
    seeds = [int(s) for s in args.seeds.split(",")]
    os.makedirs(args.work, exist_ok=True)
    new_task = [os.path.join(DATA, "sort-test.jsonl")]
    old_tasks = [os.path.join(DATA, f"{t}-test.jsonl") for t in ("copy", "reverse", "maximum")]

    runs = []
    for name, setting in SETTINGS:
        for seed in seeds:
            output = os.path.join(args.work, f"{name.replace(' ', '-')}-seed{seed}")
            config = output + ".yaml"
            with open(config, "w") as f:
                f.write(train_config(setting, seed, output))
            run([retune, "train", config])
            if setting["method"] == "lora":
                tuned = ["--adapter", os.path.join(output, "adapter")]
                model_args = ["--model", BASE, *tuned]
            else:
                tuned = ["--tuned", os.path.join(output, "model")]
                model_args = ["--model", tuned[1]]
            report = json.loads(run([retune, "analyze", "intruders", "--base", BASE, *tuned,
                                     "--threads", "1", "--json"]))
            counts = {str(eps): sum(sum(1 for c in m["cosines"] if c < eps)
                                    for m in report["modules"]) for eps in EPSILONS}
            entry = {"setting": name, "seed": seed, "modules": len(report["modules"]),
                     "intruders": counts,
                     "new_task": accuracy(retune, model_args, new_task),
                     "retained": accuracy(retune, model_args, old_tasks)}
            runs.append(entry)
            print(f"{name:11s} seed {seed}: intruders at eps 0.5: {counts['0.5']:3d}  "
                  f"new task {entry['new_task']:.2f}  retained {entry['retained']:.2f}",
                  flush=True)

    summary = []
    for name, _ in SETTINGS:
        mine = [r for r in runs if r["setting"] == name]
        summary.append({
            "setting": name,
            "intruders_mean": {str(e): statistics.mean(r["intruders"][str(e)] for r in mine)
                               for e in EPSILONS},
            "new_task_mean": statistics.mean(r["new_task"] for r in mine),
            "retained_mean": statistics.mean(r["retained"] for r in mine),
        })
    print()
    print(f"{'setting':11s} " + " ".join(f"eps {e:<4}" for e in EPSILONS) +
          "  new task  retained   (means over seeds; 14 modules x top-10 vectors)")
    for s in summary:
        print(f"{s['setting']:11s} " +
              " ".join(f"{s['intruders_mean'][str(e)]:8.1f}" for e in EPSILONS) +
              f"  {s['new_task_mean']:8.2f}  {s['retained_mean']:8.2f}")

    out = args.out or os.path.join(
        REPO, "bench", "results", f"intruders-{datetime.date.today().isoformat()}.json")
    with open(out, "w") as f:
        json.dump({"date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                   "machine": platform.processor() or platform.machine(),
                   "retune": run([retune, "--version"]).strip(), "base": "examples/compare-base",
                   "top_k": 10, "epsilons": EPSILONS, "seeds": seeds, "runs": runs,
                   "summary": summary}, f, indent=2)
        f.write("\n")
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()

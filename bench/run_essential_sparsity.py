#!/usr/bin/env python3
"""Essential sparsity (METHODS.md D2) on the comparison example's base: `retune prune` removes the
smallest-magnitude fraction s of the layers' linear weights (one global threshold; embeddings,
head and norms whole), then `retune train` fine-tunes the new task, sort, with the mask fixed
(method full, sparse.mask: only the kept entries train, the pruned ones stay zero), for the
comparison's budget (200 steps of 16 rows, lr 1e-3, cosine schedule). For each s: the exact
match of the pruned model before fine-tuning on the old tasks (copy, reverse, maximum) and after
it on sort and the old tasks.

  bench/run_essential_sparsity.py [--build build] [--sparsities 0,0.1,...] [--seeds 0]
                                  [--work DIR] [--out FILE]

The base must exist (see run_intruder_repro.py). Results: bench/results/essential-sparsity-DATE.json.
"""

import argparse
import datetime
import json
import os
import statistics

from run_intruder_repro import BASE, DATA, REPO, accuracy, run


def train_config(model, mask, seed, output):
    return "\n".join([
        f"model: {model}",
        f"output: {output}",
        "method: full",
        f"sparse: {{mask: {mask}}}",
        f"data: {{train: {os.path.join(DATA, 'sort-train.jsonl')}, seq_len: 64}}",
        f"training: {{batch_size: 16, steps: 200, lr: 1.0e-3, seed: {seed}}}",
        "schedule: {kind: cosine, warmup_steps: 10, min_lr_ratio: 0.1}",
        "save_every: 0",
        "threads: 1",
    ]) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(REPO, "build"))
    parser.add_argument("--sparsities", default="0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--work", default="/tmp/retune-essential-sparsity")
    parser.add_argument("--out")
    args = parser.parse_args()
    retune = os.path.join(args.build, "src", "retune")
    os.makedirs(args.work, exist_ok=True)
    new_task = [os.path.join(DATA, "sort-test.jsonl")]
    old_tasks = [os.path.join(DATA, f"{t}-test.jsonl") for t in ("copy", "reverse", "maximum")]

    points = []
    for sparsity in [float(s) for s in args.sparsities.split(",")]:
        pruned = os.path.join(args.work, f"pruned-{sparsity}")
        mask = pruned + "-mask.safetensors"
        run([retune, "prune", "--model", BASE, "--sparsity", str(sparsity), "--out", pruned,
             "--mask", mask])
        point = {"sparsity": sparsity,
                 "retained_before": accuracy(retune, ["--model", pruned], old_tasks),
                 "new_task": [], "retained": []}
        for seed in [int(s) for s in args.seeds.split(",")]:
            output = os.path.join(args.work, f"tuned-{sparsity}-seed{seed}")
            with open(output + ".yaml", "w") as f:
                f.write(train_config(pruned, mask, seed, output))
            run([retune, "train", output + ".yaml"])
            tuned = ["--model", os.path.join(output, "model")]
            point["new_task"].append(accuracy(retune, tuned, new_task))
            point["retained"].append(accuracy(retune, tuned, old_tasks))
        points.append(point)
        print(f"sparsity {sparsity:.2f}: old tasks after pruning {point['retained_before']:.2f}"
              f"  sort after masked fine-tuning {statistics.mean(point['new_task']):.2f}"
              f"  old tasks then {statistics.mean(point['retained']):.2f}", flush=True)

    out = args.out or os.path.join(
        REPO, "bench", "results", f"essential-sparsity-{datetime.date.today().isoformat()}.json")
    with open(out, "w") as f:
        json.dump({"date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                   "retune": run([retune, "--version"]).strip(), "base": "examples/compare-base",
                   "task": "sort", "steps": 200, "points": points}, f, indent=2)
        f.write("\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

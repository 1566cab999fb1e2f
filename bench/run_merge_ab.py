#!/usr/bin/env python3
"""Side-by-side merge benchmark: `retune merge` against `mergekit-yaml`, alternating A B A B.

Makes (once, in --work) three SmolLM2-135M-shaped Llama models in bfloat16 (a random base and
two "fine-tuned" copies: the base plus seeded noise), then merges the two into the base with
TIES (density 0.5, weights 0.5 / 0.5, dtype bfloat16) with both tools, ROUNDS times each, one
after the other, so that both see the same machine state. Each run's wall time and peak RSS
come from /usr/bin/time; the script prints each run, both medians and their ratios, how far the
two outputs are apart, and records everything with the machine and versions in
bench/results/merge-ties-DATE-Nt.json (or --out FILE).

  bench/run_merge_ab.py [--rounds 3] [--threads 2] [--python PYTHON] [--build build]
                        [--work DIR] [--out FILE]

PYTHON must have mergekit (which brings torch and safetensors), e.g.
`python3 -m venv /tmp/mk && /tmp/mk/bin/pip install mergekit`, then --python /tmp/mk/bin/python.
The target (../shared/BENCHMARKS.md): retune at least 3x faster, at most 0.5x the peak RSS.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CONFIG = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 576,
    "intermediate_size": 1536, "num_hidden_layers": 30, "num_attention_heads": 9,
    "num_key_value_heads": 3, "head_dim": 64, "vocab_size": 49152,
    "max_position_embeddings": 8192, "rms_norm_eps": 1e-5, "rope_theta": 100000.0,
    "tie_word_embeddings": True, "hidden_act": "silu", "bos_token_id": 0, "eos_token_id": 0,
    "torch_dtype": "bfloat16", "attention_bias": False, "mlp_bias": False,
}

MAKE_MODELS = r"""
import json, os, sys, torch
from safetensors.torch import save_file
work, config = sys.argv[1], json.loads(sys.argv[2])
C, F, L = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
kv = config["num_key_value_heads"] * config["head_dim"]
shapes = {"model.embed_tokens.weight": (config["vocab_size"], C), "model.norm.weight": (C,)}
for l in range(L):
    p = f"model.layers.{l}."
    shapes.update({p + "input_layernorm.weight": (C,), p + "post_attention_layernorm.weight": (C,),
                   p + "self_attn.q_proj.weight": (C, C), p + "self_attn.k_proj.weight": (kv, C),
                   p + "self_attn.v_proj.weight": (kv, C), p + "self_attn.o_proj.weight": (C, C),
                   p + "mlp.gate_proj.weight": (F, C), p + "mlp.up_proj.weight": (F, C),
                   p + "mlp.down_proj.weight": (C, F)})
g = torch.Generator().manual_seed(0)
base = {n: (torch.ones(s) if len(s) == 1 else torch.randn(s, generator=g) * 0.02) for n, s in shapes.items()}
for name, seed in [("base", None), ("tuned_a", 1), ("tuned_b", 2)]:
    folder = os.path.join(work, name)
    os.makedirs(folder, exist_ok=True)
    if seed is None:
        weights = base
    else:
        g = torch.Generator().manual_seed(seed)
        weights = {n: w + torch.randn(w.shape, generator=g) * 0.002 for n, w in base.items()}
    save_file({n: w.to(torch.bfloat16).contiguous() for n, w in weights.items()},
              os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    json.dump(config, open(os.path.join(folder, "config.json"), "w"), indent=2)
"""

COMPARE = r"""
import json, sys, torch
from safetensors import safe_open
a, b = safe_open(sys.argv[1], "pt"), safe_open(sys.argv[2], "pt")
worst, differ, total = 0.0, 0, 0
for k in a.keys():
    x, y = a.get_tensor(k).float(), b.get_tensor(k).float()
    worst = max(worst, float((x - y).abs().max()))
    differ += int((x != y).sum()); total += x.numel()
print(json.dumps({"max_abs_diff": worst, "values_differing": differ, "values": total,
                  "same_names": sorted(a.keys()) == sorted(b.keys())}))
"""

TIES = """merge_method: ties
base_model: base
models:
  - model: tuned_a
    parameters: {weight: 0.5, density: 0.5}
  - model: tuned_b
    parameters: {weight: 0.5, density: 0.5}
dtype: bfloat16
"""


def timed(argv, env, what, cwd):
    """Runs argv under /usr/bin/time in cwd; returns (wall seconds, peak RSS bytes)."""
    done = subprocess.run(["/usr/bin/time", "-f", "TIME %e %M"] + argv, capture_output=True,
                          text=True, env=env, cwd=cwd)
    if done.returncode != 0:
        sys.exit(f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    line = [l for l in done.stderr.splitlines() if l.startswith("TIME ")][-1]
    _, seconds, kib = line.split()
    return float(seconds), int(kib) * 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--build", default=os.path.join(REPO, "build"))
    parser.add_argument("--work", default="/tmp/retune_merge_bench")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    retune = os.path.join(args.build, "src", "retune")
    mergekit_yaml = os.path.join(os.path.dirname(args.python), "mergekit-yaml")
    for program in (retune, mergekit_yaml, "/usr/bin/time"):
        if not os.path.exists(program):
            sys.exit(f"{program} not found")
    os.makedirs(args.work, exist_ok=True)
    if not os.path.exists(os.path.join(args.work, "tuned_b", "model.safetensors")):
        subprocess.run([args.python, "-c", MAKE_MODELS, args.work, json.dumps(CONFIG)], check=True)
    config = os.path.join(args.work, "ties.yaml")
    with open(config, "w") as f:
        f.write(TIES)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    runs = {"retune": [], "mergekit": []}
    for r in range(args.rounds):
        for tool in ("mergekit", "retune"):
            out = os.path.join(args.work, "out_" + tool)
            shutil.rmtree(out, ignore_errors=True)
            if tool == "retune":
                argv = [retune, "merge", config, "--out", out, "--threads", str(args.threads)]
            else:
                argv = [mergekit_yaml, config, out, "--no-lazy-unpickle", "--random-seed", "0",
                        "--no-write-model-card", "--quiet", "-j", str(args.threads)]
            # mergekit reads the config's paths from the current folder, retune from the
            # config's: both run in the work folder.
            seconds, rss = timed(argv, env, tool, args.work)
            runs[tool].append({"seconds": seconds, "peak_rss_bytes": rss})
            print(f"round {r + 1} {tool:8s} {seconds:7.2f} s  {rss / 2**20:8.1f} MiB", flush=True)
    compare = subprocess.run(
        [args.python, "-c", COMPARE, os.path.join(args.work, "out_retune", "model.safetensors"),
         os.path.join(args.work, "out_mergekit", "model.safetensors")],
        capture_output=True, text=True, check=True)
    agreement = json.loads(compare.stdout.strip().splitlines()[-1])
    median = {tool: {"seconds": statistics.median(x["seconds"] for x in v),
                     "peak_rss_bytes": statistics.median(x["peak_rss_bytes"] for x in v)}
              for tool, v in runs.items()}
    speedup = median["mergekit"]["seconds"] / median["retune"]["seconds"]
    memory = median["retune"]["peak_rss_bytes"] / median["mergekit"]["peak_rss_bytes"]
    print(f"median: retune {median['retune']['seconds']:.2f} s, "
          f"{median['retune']['peak_rss_bytes'] / 2**20:.0f} MiB; mergekit "
          f"{median['mergekit']['seconds']:.2f} s, "
          f"{median['mergekit']['peak_rss_bytes'] / 2**20:.0f} MiB")
    print(f"retune is {speedup:.2f}x faster, at {memory:.2f}x mergekit's peak RSS "
          f"(target >= 3x, <= 0.5x); outputs: {agreement}")
    versions = subprocess.run(
        [args.python, "-c", "import importlib.metadata as m, json; print(json.dumps("
         "{p: m.version(p) for p in ['mergekit', 'torch', 'safetensors']}))"],
        capture_output=True, text=True, check=True).stdout.strip()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), platform.processor())
    result = {
        "benchmark": "merge-ties-smollm2-135m-shape",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "context": {"cpu_model": cpu, "cpus": os.cpu_count(), "threads": args.threads,
                    "load_average": os.getloadavg(), "platform": platform.platform(),
                    "versions": json.loads(versions)},
        "config": TIES, "model": CONFIG, "rounds": args.rounds, "runs": runs, "median": median,
        "speedup": speedup, "peak_rss_ratio": memory, "outputs": agreement,
    }
    date = datetime.date.today().isoformat()
    out = args.out or os.path.join(REPO, "bench", "results",
                                   f"merge-ties-{date}-{args.threads}t.json")
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(out)


if __name__ == "__main__":
    main()

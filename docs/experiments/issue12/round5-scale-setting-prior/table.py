"""The round-5 table of README.md: this folder's pruned ResNet reports beside the parent folder's."""
import json, os

here = os.path.dirname(os.path.abspath(__file__))
parent = os.path.dirname(here)
names = ["resnet56", "resnet20"] + [f"robust-resnet{d}-seed{s}" for d in (20, 32, 56) for s in (1, 2, 3)]
print("| run | test acc (round 5) | round 4/3 | --no-gates | kept (round 5) | training FLOPs (round 5) "
      "| final training loss round 5 / round 4/3 / --no-gates |")
print("|---|---|---|---|---|---|---|")
for n in names:
    a, b, c = (json.load(open(os.path.join(d, f))) for d, f in
               ((here, f"{n}.report.json"), (parent, f"{n}.report.json"), (parent, f"{n}-nogates.report.json")))
    fa, fb, fc = a["final"], b["final"], c["final"]
    print(f"| {n} | {fa['test_accuracy']:.4f} | {fb['test_accuracy']:.4f} | {fc['test_accuracy']:.4f} "
          f"| {fa['sections_kept']} / {fa['sections_total']} | {fa['training_flops_ratio']:.3f} "
          f"| {a['epochs'][-1]['loss']:.4f} / {b['epochs'][-1]['loss']:.4f} / {c['epochs'][-1]['loss']:.4f} |")

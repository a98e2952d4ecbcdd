#!/usr/bin/env python3
"""Smoke test of the training loop (reference/ovseg_reference/train.py).

Trains a tiny random SGSeg (EVA02 tiny, tiny head, 3 memory rows) on synthetic
scenes — three classes, each a colour with noise, laid out as random
rectangles, 5 % of the pixels ignored (255) — for a few dozen steps with the
release's loss (BCE over all classes + 0.1 · compensation distance to a frozen
copy), trainable set and optimiser (AdamW, CLIP lr × 0.01, gradient clip 0.01;
lr raised to 2e-3 so a few dozen steps show progress). Asserts that

* the mean loss of the last 8 steps is below the mean of the first 8,
* every memory row changed from its first-visit value (EMA update ran),
* the frozen teacher did not change, the tuned CLIP's trainable projections did,
  and its frozen parameters did not,
* loss_rc is 0 at step 0 (tuned = teacher) and positive later.

Run: PYTHONPATH=reference /tmp/venv/bin/python reference/smoke_train.py
Prints the numbers recorded in the report.
"""
import sys

import torch

from ovseg_reference.tiny import build_tiny, tiny_aggregator, tiny_ids, tiny_sgseg_config
from ovseg_reference.train import TrainConfig, Trainer

STEPS = 40
COLOURS = torch.tensor([[200.0, 60.0, 50.0], [40.0, 170.0, 60.0], [70.0, 80.0, 210.0]])


def synthetic_batch(g: torch.Generator, batch: int = 2, size: int = 32):
    labels = torch.zeros(batch, size, size, dtype=torch.long)
    for b in range(batch):
        labels[b] = int(torch.randint(0, 3, (1,), generator=g))
        for _ in range(3):
            y0, x0 = (int(v) for v in torch.randint(0, size - 8, (2,), generator=g))
            h, w = (int(v) for v in torch.randint(6, 16, (2,), generator=g))
            labels[b, y0:y0 + h, x0:x0 + w] = int(torch.randint(0, 3, (1,), generator=g))
    images = COLOURS[labels].permute(0, 3, 1, 2) + 20 * torch.randn(batch, 3, size, size, generator=g)
    ignore = torch.rand(labels.shape, generator=g) < 0.05
    labels = labels.masked_fill(ignore, 255)
    return images.clamp(0, 255), labels


def main() -> int:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    cfg = tiny_sgseg_config(aggregator=tiny_aggregator(memory_rows=3))
    model = build_tiny(cfg, seed=7)
    trainer = Trainer(model, TrainConfig(lr=2e-3, steps=STEPS))
    teacher_before = {k: v.clone() for k, v in model.teacher_clip.state_dict().items()}
    tuned_before = {k: v.clone() for k, v in model.clip.state_dict().items()}
    text_ids = tiny_ids([[5, 9], [11, 3, 7], [20]])      # three training classes
    g = torch.Generator().manual_seed(1)
    history, first_memory = [], None
    for step in range(STEPS):
        images, labels = synthetic_batch(g)
        losses = trainer.step(images, labels, text_ids)
        history.append(losses)
        if first_memory is None:
            first_memory = model.aggregator.memory.memory.detach().clone()
    memory = model.aggregator.memory.memory.detach()

    first = sum(h["loss"] for h in history[:8]) / 8
    last = sum(h["loss"] for h in history[-8:]) / 8
    row_change = (memory - first_memory).norm(dim=-1).flatten()
    teacher_same = all(torch.equal(v, model.teacher_clip.state_dict()[k]) for k, v in teacher_before.items())
    trained = [n for n in trainer.trainable if n.startswith("sem_seg_head.predictor.clip_model.")]
    now = model.clip.state_dict()
    changed_trainable = all(not torch.equal(tuned_before[n[len("sem_seg_head.predictor.clip_model."):]],
                                            now[n[len("sem_seg_head.predictor.clip_model."):]]) for n in trained)
    trained_tails = {n[len("sem_seg_head.predictor.clip_model."):] for n in trained}
    frozen_same = all(torch.equal(v, now[k]) for k, v in tuned_before.items() if k not in trained_tails)

    print(f"steps {STEPS}; loss first-8 mean {first:.4f}, last-8 mean {last:.4f}")
    print("step 0: " + ", ".join(f"{k} {v:.4e}" for k, v in history[0].items()))
    print(f"step {STEPS - 1}: " + ", ".join(f"{k} {v:.4e}" for k, v in history[-1].items()))
    print(f"memory row change since first visit: {[round(float(x), 4) for x in row_change]}")
    print(f"trainable CLIP tensors: {len(trained)} (all changed: {changed_trainable}); "
          f"other CLIP tensors unchanged: {frozen_same}; teacher unchanged: {teacher_same}")
    ok = (last < first and bool((row_change > 0).all()) and teacher_same and changed_trainable and frozen_same
          and history[0]["loss_rc"] == 0.0 and history[-1]["loss_rc"] > 0.0)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

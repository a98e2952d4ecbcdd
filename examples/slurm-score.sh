#!/usr/bin/env bash
# Scores a large dataset as a Slurm job array of N shards, then merges them in a dependent job.
#
#   GT=/data/potsdam/gt PRED=/runs/mymodel/pred VOCAB=potsdam OUT=/runs/mymodel/eval N=32 \
#       bash examples/slurm-score.sh
#
# Each array task scores the images whose id hashes to its shard (`--shard k/N`; stable when
# images are added) and writes OUT/shard-k.ovseg.json. The merge job starts only when every
# task succeeded (afterok) and fails if a shard is missing, so a partial result is never
# mistaken for a complete one. Resubmitting a failed task is safe: results are written atomically.
set -euo pipefail
: "${GT:?set GT to the ground-truth folder}"
: "${PRED:?set PRED to the prediction folder}"
: "${VOCAB:=potsdam}"
: "${OUT:?set OUT to the output folder}"
: "${N:=16}"
: "${OVSEG:=ovseg}"
mkdir -p "$OUT/logs"

array_job=$(sbatch --parsable \
    --job-name=ovseg-score --array=1-"$N" --cpus-per-task=4 --mem=4G --time=01:00:00 \
    --output="$OUT/logs/score-%a.log" \
    --wrap="$OVSEG score --vocab '$VOCAB' --gt '$GT' --pred '$PRED' --shard \$SLURM_ARRAY_TASK_ID/$N \
            --jobs \$SLURM_CPUS_PER_TASK --no-progress -o '$OUT'/shard-\$SLURM_ARRAY_TASK_ID.ovseg.json --quiet")

sbatch --parsable --job-name=ovseg-merge --dependency=afterok:"$array_job" --cpus-per-task=1 --mem=2G \
    --time=00:10:00 --output="$OUT/logs/merge.log" \
    --wrap="$OVSEG merge '$OUT'/shard-*.ovseg.json -o '$OUT'/run.ovseg.json"
echo "submitted array job $array_job ($N shards) and its merge job"

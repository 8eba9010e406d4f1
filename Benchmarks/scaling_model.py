#!/usr/bin/env python3
"""The data-parallel scaling model of Benchmarks/README.md: compute per step, ring all-reduce time and predicted
efficiency at 8, 32 and 128 nodes, for 10, 25 and 100 Gb/s networks.

    python3 Benchmarks/scaling_model.py

Assumptions (change them below): a node is 32 Zen 4 cores at the 41 GFLOP/s per core that the gpt2-mini training
benchmark sustains on this machine (438 tokens/s at 2 threads x 186.8 MFLOP/token); training costs
6 * parameters + 12 * layers * width * context FLOP per token; gradients are Float32, all-reduced with Open MPI's
ring (reduce-scatter then all-gather: 2 (N - 1) / N of the gradient bytes over each link, 2 (N - 1) latencies per
bucket); the link delivers 90 % of its nominal rate and a message step costs 20 microseconds (TCP over Ethernet).
Efficiency is compute / (compute + the all-reduce time not hidden behind it). "Overlap" all-reduces each bucket
while the backward pass (2/3 of the compute) still runs; it cannot hide the token and position embeddings, whose
gradient (tied to the output projection) is complete only at the very end of backward, so their all-reduce is
always exposed. With gradient accumulation only the last micro-batch's backward can hide it. The trainers do not
overlap yet (they all-reduce after backward), so the no-overlap columns are what they get today.
"""

GFLOPS_PER_CORE = 41.0
CORES_PER_NODE = 32
LINK_EFFICIENCY = 0.9
LATENCY = 20e-6
BUCKET_BYTES = 4 * 2**20

VOCABULARY = 50257
MODELS = {
    # name: (parameters, layers, width, context, local batch of sequences per micro-batch)
    "gpt2-mini (30 M)": (30.04e6, 6, 384, 256, 16),
    "GPT-2 (124 M)": (124.4e6, 12, 768, 1024, 8),
}


def step(model, nodes, gbps, accumulation=1, overlap=False, bucket=BUCKET_BYTES, batch=None):
    parameters, layers, width, context, local = MODELS[model]
    batch = batch or local
    embedding_bytes = 4 * (VOCABULARY + context) * width
    flop_per_token = 6 * parameters + 12 * layers * width * context
    tokens = batch * context * accumulation
    compute = tokens * flop_per_token / (GFLOPS_PER_CORE * 1e9 * CORES_PER_NODE)
    bandwidth = gbps * 1e9 / 8 * LINK_EFFICIENCY

    def ring(size):
        buckets = -(-size // bucket)
        return 2 * (nodes - 1) / nodes * size / bandwidth + 2 * (nodes - 1) * buckets * LATENCY

    allreduce = ring(4 * parameters)
    if overlap:  # the layers' buckets behind the last micro-batch's backward; the embeddings after it
        rest = ring(4 * parameters - embedding_bytes)
        exposed = ring(embedding_bytes) + max(0, rest - (2 / 3) * compute / accumulation)
    else:
        exposed = allreduce
    return compute, allreduce, compute / (compute + exposed)


def main():
    for model in MODELS:
        parameters, _, _, context, batch = MODELS[model]
        compute, _, _ = step(model, 8, 10)
        print(f"\n{model}: {4 * parameters / 1e6:.0f} MB of gradient per step, {batch} x {context} tokens per node per "
              f"micro-batch, compute {compute:.2f} s per micro-batch")
        print("| nodes | link | all-reduce (s) | efficiency | with overlap | accumulation 4 | accumulation 4 + overlap |")
        print("|--:|--:|--:|--:|--:|--:|--:|")
        for nodes in (8, 32, 128):
            for gbps in (10, 25, 100):
                _, allreduce, plain = step(model, nodes, gbps)
                _, _, overlapped = step(model, nodes, gbps, overlap=True)
                _, _, accumulated = step(model, nodes, gbps, accumulation=4)
                _, _, both = step(model, nodes, gbps, accumulation=4, overlap=True)
                print(f"| {nodes} | {gbps} Gb/s | {allreduce:.2f} | {plain:.0%} | {overlapped:.0%} | {accumulated:.0%} | {both:.0%} |")


    print("\nGPT-2 (124 M) at a fixed global batch of 256 sequences of 1024 tokens (fine-tuning: the batch is the method's),"
          " so each node's share shrinks as nodes are added; 25 Gb/s, 4 MiB and 32 MiB buckets")
    print("| nodes | sequences per node | compute (s) | all-reduce (s) | efficiency | with overlap | overlap, 32 MiB buckets |")
    print("|--:|--:|--:|--:|--:|--:|--:|")
    for nodes in (8, 32, 128):
        per_node = 256 // nodes
        compute, allreduce, plain = step("GPT-2 (124 M)", nodes, 25, batch=per_node)
        _, _, overlapped = step("GPT-2 (124 M)", nodes, 25, overlap=True, batch=per_node)
        _, _, large = step("GPT-2 (124 M)", nodes, 25, overlap=True, batch=per_node, bucket=32 * 2**20)
        print(f"| {nodes} | {per_node} | {compute:.2f} | {allreduce:.2f} | {plain:.0%} | {overlapped:.0%} | {large:.0%} |")


if __name__ == "__main__":
    main()

# Writes mixed_dtypes.safetensors (with the Python `safetensors` library) and mixed_dtypes.json (each tensor's
# dtype, shape and values converted to float32 by PyTorch). SafetensorsTests reads both and checks that our
# reader agrees exactly. Needs `pip install torch safetensors`. Run from this directory:
#   python3 make_safetensors_fixture.py
import json

import safetensors
import torch
from safetensors.torch import save_file

tensors = {
    "f32.matrix": torch.tensor([[1.5, -2.25, 3.0], [0.1, -0.0, 1e-30]], dtype=torch.float32),
    "f32.scalar": torch.tensor(7.25, dtype=torch.float32),
    "f32.empty": torch.zeros((0, 3), dtype=torch.float32),
    # Half: normal, largest finite, smallest normal, a subnormal, and values that round.
    "f16.vector": torch.tensor([0.5, -1.25, 65504.0, 2.0**-14, 2.0**-24, 0.1, 3.14159], dtype=torch.float16),
    "bf16.matrix": torch.tensor([[1.0, -2.5], [3.14159, 1e30], [-1e-30, 0.333]], dtype=torch.bfloat16),
    "i64.vector": torch.tensor([0, -7, 2**40, 123456789], dtype=torch.int64),
}
metadata = {"format": "pt", "note": "fixture for RLFineTuning"}
save_file(tensors, "mixed_dtypes.safetensors", metadata=metadata)

expected = {
    "versions": {"torch": torch.__version__, "safetensors": safetensors.__version__},
    "metadata": metadata,
    "tensors": {
        name: {
            "dtype": str(t.dtype),
            "shape": list(t.shape),
            "values": [float(v) for v in t.to(torch.float32).reshape(-1).tolist()],
        }
        for name, t in tensors.items()
    },
}
with open("mixed_dtypes.json", "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
    f.write("\n")

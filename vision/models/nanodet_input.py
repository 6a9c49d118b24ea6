"""Makes a copy of nanodet-416.onnx that takes another square input size (for the vision bench).

Usage: python nanodet_input.py IN.onnx OUT.onnx SIDE

ONNX Runtime refuses any input but the declared [1, 3, 416, 416]. The graph itself is fully
convolutional: its Reshapes flatten with -1, its Resizes scale by 2 or 0.5, and its Pads are the
ones TF's SAME padding gives every even-sized stride-2 input (one row and column after), which
holds for any SIDE that is a multiple of 32. So only the declared input and output shapes change:
outputs become [1, (SIDE/s)^2, 80] and [1, (SIDE/s)^2, 44] for strides s = 8, 16, 32.

Checks: the rewritten graph at 416 gives the original's outputs bit for bit, and the new one runs
at SIDE with the expected output shapes. Needs onnx and onnxruntime (pip).
"""

import sys

import numpy as np
import onnx
import onnxruntime as ort


def rewrite(model, side):
    """The model with its input declared side x side and its outputs sized to match."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    (image,) = graph.input
    dims = image.type.tensor_type.shape.dim
    dims[2].dim_value = side
    dims[3].dim_value = side
    del graph.value_info[:]
    for out in graph.output:
        cells = out.type.tensor_type.shape.dim[1]
        # 2704, 676, 169 at 416: strides 8, 16, 32
        stride = {2704: 8, 676: 16, 169: 32}[cells.dim_value]
        cells.dim_value = (side // stride) ** 2
    onnx.checker.check_model(model)
    return model


def run(model, side, seed=0):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    x = np.random.default_rng(seed).standard_normal((1, 3, side, side), dtype=np.float32)
    return session.run(None, {name: x})


def main():
    src, out, side = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if side % 32:
        sys.exit(f"side {side} is not a multiple of 32")
    original = onnx.load(src)
    same = run(rewrite(original, 416), 416)
    for a, b in zip(run(original, 416), same):
        if not np.array_equal(a, b):
            sys.exit("the rewritten graph at 416 differs from the original")
    model = rewrite(original, side)
    shapes = [o.shape for o in run(model, side)]
    expected = [(1, (side // s) ** 2, c) for c in (80, 44) for s in (8, 16, 32)]
    if sorted(shapes) != sorted(expected):
        sys.exit(f"outputs {shapes}, expected {expected}")
    onnx.save(model, out)
    print(f"{out}: input [1, 3, {side}, {side}], outputs {shapes}", file=sys.stderr)


if __name__ == "__main__":
    main()

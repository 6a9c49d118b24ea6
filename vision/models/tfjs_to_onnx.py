"""Converts a TF.js graph model (model.json + weight shards) to ONNX with tf2onnx.

Usage: python tfjs_to_onnx.py MODEL.json OUT.onnx [OPSET]

The TF.js format is a GraphDef in JSON plus a manifest of weights stored in binary shards
(here float16-quantised float32, and int64 stored as int32); this puts each weight back into
its Const node with the dtype that node declares, so no `tensorflowjs` package is needed. Used by build-nanodet.sh.
"""

import json
import os
import sys

import numpy as np
import onnx
import tensorflow as tf
import tf2onnx
from google.protobuf import json_format

DTYPES = {"float32": np.float32, "int32": np.int32, "float16": np.float16, "uint8": np.uint8}


def read_weights(manifest, base):
    """Yields (name, numpy array) for every weight in the manifest, in order."""
    for group in manifest:
        data = b"".join(open(os.path.join(base, p), "rb").read() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            stored = w.get("quantization", {}).get("dtype", w["dtype"])
            if stored not in ("float16", "float32", "int32"):
                sys.exit(f"unsupported stored dtype {stored} for {w['name']}")
            count = int(np.prod(w["shape"])) if w["shape"] else 1
            itemsize = np.dtype(DTYPES[stored]).itemsize
            raw = np.frombuffer(data, DTYPES[stored], count, offset)
            offset += count * itemsize
            yield w["name"], raw.astype(DTYPES[w["dtype"]]).reshape(w["shape"])
        if offset != len(data):
            sys.exit(f"weights use {offset} of {len(data)} bytes: manifest and shards disagree")


def main():
    model_json, out = sys.argv[1], sys.argv[2]
    opset = int(sys.argv[3]) if len(sys.argv) > 3 else 13
    model = json.load(open(model_json))
    graph = json_format.ParseDict(model["modelTopology"], tf.compat.v1.GraphDef(), ignore_unknown_fields=True)
    nodes = {n.name: n for n in graph.node}
    for name, array in read_weights(model["weightsManifest"], os.path.dirname(model_json)):
        node = nodes[name]
        # TF.js stores int64 constants as int32: give each back the dtype its node declares
        dtype = tf.as_dtype(node.attr["dtype"].type) if node.attr["dtype"].type else tf.as_dtype(array.dtype)
        node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(array.astype(dtype.as_numpy_dtype)))
        node.attr["dtype"].type = dtype.as_datatype_enum
    signature = model["signature"]
    inputs = signature["inputs"]
    # outputs in a stable order: by stride (largest N first), scores before boxes
    outputs = sorted(signature["outputs"], key=lambda k: int(k.split(":")[0].partition("_")[2] or 0))
    onnx_model, _ = tf2onnx.convert.from_graph_def(
        graph, input_names=list(inputs), output_names=outputs, opset=opset
    )
    canonical_names(onnx_model)
    onnx.save(onnx_model, out)
    for t in list(onnx_model.graph.input) + list(onnx_model.graph.output):
        dims = [d.dim_value or d.dim_param for d in t.type.tensor_type.shape.dim]
        print(f"{t.name} {dims}", file=sys.stderr)
    check(graph, out, inputs, outputs)


def canonical_names(model):
    """Renames tf2onnx's generated constants (`pad_const__34`, numbered in an order that changes
    from run to run) by their first use, so that the same input converts to the same bytes."""
    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    renamed = {}
    for node in graph.node:
        for name in node.input:
            if name in inits and name not in renamed:
                renamed[name] = f"{name.rsplit('__', 1)[0]}__c{len(renamed)}"
    for t in graph.initializer:
        t.name = renamed.get(t.name, t.name)
    for node in graph.node:
        node.input[:] = [renamed.get(n, n) for n in node.input]
    ordered = sorted(graph.initializer, key=lambda t: t.name)
    del graph.initializer[:]
    graph.initializer.extend(ordered)


def check(graph, onnx_path, inputs, outputs):
    """Runs the TF graph and the ONNX model on the same random input; fails if they disagree."""
    import onnxruntime

    shape = [int(d["size"]) for d in next(iter(inputs.values()))["tensorShape"]["dim"]]
    x = np.random.default_rng(0).random(shape, dtype=np.float32)
    with tf.compat.v1.Session(graph=tf.Graph()) as sess:
        tf.import_graph_def(graph, name="")
        expected = sess.run(outputs, {name: x for name in inputs})
    got = onnxruntime.InferenceSession(onnx_path).run(None, {name: x for name in inputs})
    diff = max(float(np.abs(e - g).max()) for e, g in zip(expected, got))
    print(f"max |tf - onnxruntime| on a random input: {diff:.2e}", file=sys.stderr)
    if diff > 1e-3:
        sys.exit("the ONNX model disagrees with the TF.js graph")


if __name__ == "__main__":
    main()

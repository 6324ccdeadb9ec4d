/**
 * ONNX output of an {@link io.layerprune.inference.ExportedModel}: {@link io.layerprune.onnx.OnnxWriter} writes
 * the exported graph as an ONNX ModelProto (opset 17), field by field with protobuf-java's
 * CodedOutputStream ({@link io.layerprune.onnx.Proto}), so no generated ONNX classes are needed.
 */
package io.layerprune.onnx;

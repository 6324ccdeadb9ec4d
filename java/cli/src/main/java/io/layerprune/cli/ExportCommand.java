package io.layerprune.cli;

import io.layerprune.inference.ExportedModel;
import io.layerprune.onnx.OnnxWriter;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code layerprune export FILE --out OUT [--onnx OUT.onnx]}: the deterministic final network of a
 * trained model as a smaller, inference-only file (ALGORITHM.md section 5), and optionally as ONNX.
 */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Writes the deterministic final network of FILE as an inference-only exported network: sections "
                    + "with theta < 0.5 and pruned sections removed, consecutive linear maps (projection skips, "
                    + "a projection and the head) composed into one, batch norms folded into their convolutions. "
                    + "The file holds only the surviving weights (no gradients, no optimizer state).",
            "FILE is a checkpoint (train --save) or an exported network (train --export, or an earlier "
                    + "export: then --onnx converts it).",
            ""},
        footer = {"", "Exit codes: 0 success, 1 failure while running, 2 usage error."})
public final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "Checkpoint or exported network to read.")
    Path file;

    @Option(names = "--out", paramLabel = "OUT", description = "Where to write the exported network (LPEXPORT file).")
    Path out;

    @Option(names = "--onnx", paramLabel = "OUT.onnx", description = "Also (or only) write it as ONNX (opset 17): "
            + "input 'input' (batch, features in our order, NHWC for images), output 'logits'.")
    Path onnx;

    @Option(names = "--verbose", description = "Print stack traces with errors (also: environment LAYERPRUNE_DEBUG).")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        if (out == null && onnx == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "nothing to write: give --out, --onnx or both");
        }
        PrintWriter w = spec.commandLine().getOut();
        try (ExportedModel exported = ModelFile.exported(file)) {
            ExportedModel.Summary s = exported.summary();
            w.printf("exported network: %d of %d sections kept, %d linear maps folded, %d batch norms folded%n",
                    s.sectionsKept(), s.sectionsTotal(), s.foldedMaps(), s.foldedBatchNorms());
            w.printf("parameters %,d, forward FLOPs per sample %,.0f%n", s.params(), s.flopsPerSample());
            long inBytes = Files.size(file);
            if (out != null) {
                exported.save(out);
                long outBytes = Files.size(out);
                w.printf("wrote %s: %,d bytes (%s: %,d bytes, ratio %.3f)%n", out, outBytes, file, inBytes,
                        (double) outBytes / inBytes);
            }
            if (onnx != null) {
                OnnxWriter.write(exported, onnx);
                w.printf("wrote %s: %,d bytes (ONNX, opset 17)%n", onnx, Files.size(onnx));
            }
        }
        w.flush();
        return 0;
    }
}

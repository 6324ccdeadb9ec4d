package io.layerprune.inference;

import io.layerprune.DataException;
import io.layerprune.EvalMode;
import io.layerprune.ExportTestModels;
import io.layerprune.data.Dataset;
import io.layerprune.model.Evaluation;
import io.layerprune.model.Model;
import io.layerprune.model.zoo.ResidualMlp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportedModelTest {
    @TempDir
    Path dir;

    @Test
    void exportedMlpPredictsLikeTheDeterministicNetworkAndIsSmaller() throws Exception {
        ResidualMlp.Spec spec = ResidualMlp.builder().inputSize(20).width(32).sections(6).classes(4).seed(2).spec();
        try (Model model = ExportTestModels.trained(spec, 0.9, 0.2, 0.7, 0.1, 0.3, 0.6)) {
            Path file = dir.resolve("mlp.lpx");
            ExportedModel.export(model, file);
            float[] x = ExportTestModels.batch(9, 20, 5);
            float[] want = model.predict(x, 9, EvalMode.DETERMINISTIC);
            try (ExportedModel exported = ExportedModel.load(file)) {
                float[] got = exported.predict(x, 9);
                assertTrue(ExportTestModels.relativeError(got, want) < 1e-5, "exported logits differ");
                assertEquals(3, exported.summary().sectionsKept());
                assertEquals(6, exported.summary().sectionsTotal());
                assertEquals(spec, exported.sourceSpec().orElseThrow());
                // Only the 3 kept sections' bodies of the 6 remain: the file is about that much smaller.
                long full = spec.inputSize() * 32 + 32 + 6L * 2 * (32 * 32 + 32) + 32 * 4 + 4;
                long kept = full - 3L * 2 * (32 * 32 + 32);
                assertEquals(kept, exported.summary().params());
                long bytes = Files.size(file);
                assertTrue(bytes > 4 * kept && bytes < 4 * kept + 16384, "file of " + bytes + " bytes");
                try (Dataset data = Dataset.of("d", x, ExportTestModels.labels(9, 4), 20, 4)) {
                    Evaluation a = exported.evaluate(data);
                    Evaluation b = model.evaluate(data, EvalMode.DETERMINISTIC);
                    assertEquals(b.accuracy(), a.accuracy());
                    assertEquals(b.loss(), a.loss(), 1e-5 * Math.max(1, Math.abs(b.loss())));
                }
            }
        }
    }

    @Test
    void badFilesRaiseDataExceptionsNamingTheProblem() throws Exception {
        Path missing = dir.resolve("missing.lpx");
        DataException e = assertThrows(DataException.class, () -> ExportedModel.load(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        Path foreign = dir.resolve("foreign.lpx");
        Files.writeString(foreign, "this is not an exported network at all");
        e = assertThrows(DataException.class, () -> ExportedModel.load(foreign));
        assertTrue(e.getMessage().contains("not a layerprune exported network"), e.getMessage());
    }

    @Test
    void predictChecksItsArguments() {
        ResidualMlp.Spec spec = ResidualMlp.builder().inputSize(5).width(4).sections(1).classes(3).seed(1).spec();
        try (Model model = spec.build(); ExportedModel exported = ExportedModel.of(model)) {
            assertThrows(IllegalArgumentException.class, () -> exported.predict(new float[4], 1));
            float[] x = new float[5];
            x[2] = Float.NaN;
            assertThrows(IllegalArgumentException.class, () -> exported.predict(x, 1));
            assertEquals(0, exported.predict(new float[0], 0).length);
            exported.close();
            assertThrows(IllegalStateException.class, () -> exported.predict(new float[5], 1));
        }
    }
}

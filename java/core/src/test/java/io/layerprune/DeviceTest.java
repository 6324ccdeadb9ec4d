package io.layerprune;

import io.layerprune.data.Dataset;
import io.layerprune.model.Model;
import io.layerprune.model.ModelSpec;
import io.layerprune.model.zoo.LeNet5;
import io.layerprune.model.zoo.ResNet;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.train.TrainConfig;
import io.layerprune.train.Trainer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The device choice: CPU is the default; CUDA in the CPU build (the linux-x86_64 jar) or on a
 * machine without a GPU gives a LayerpruneException that says why; with the GPU build on a GPU it
 * builds a model that trains.
 */
class DeviceTest {
    static final String PREFIX = "could not use the CUDA device because ";
    static final String NO_BACKEND = "this build of layerprune has no CUDA backend (use the linux-x86_64-gpu jar)";
    static final String NO_GPU = "no CUDA-capable GPU or driver found: ";

    /** LAYERPRUNE_REQUIRE_GPU=1 (the GPU machine): CUDA must work; its absence is a failure, not a pass. */
    static boolean gpuRequired() {
        String v = System.getenv("LAYERPRUNE_REQUIRE_GPU");
        return v != null && !v.isEmpty() && !v.equals("0");
    }

    /**
     * The model on CUDA, or null after checking the exception names the missing part: the CPU build, or no
     * CUDA device at all. Any other CUDA error (a driver that fails otherwise, a failed stream or allocation)
     * has another message and fails the test; under LAYERPRUNE_REQUIRE_GPU=1 every failure to build does.
     */
    static Model cudaModelOrExplainedFailure(ModelSpec spec) {
        try {
            return spec.build(Device.CUDA);
        } catch (LayerpruneException e) {
            String m = e.getMessage();
            if (gpuRequired()) {
                throw new AssertionError("LAYERPRUNE_REQUIRE_GPU=1 but CUDA could not be used: " + m, e);
            }
            assertTrue(m.contains(PREFIX + NO_BACKEND) || m.contains(PREFIX + NO_GPU), m);
            return null;
        }
    }

    @Test
    void cudaEitherWorksOrSaysWhatIsMissing() {
        for (ModelSpec spec : new ModelSpec[] {
                ResidualMlp.builder().inputSize(8).width(4).sections(2).classes(3).spec(),
                ResNet.builder().depth(8).input(1, 6, 6).classes(3).spec(),
                LeNet5.spec(1, 28, 28, 3, 1)}) {
            Model model = cudaModelOrExplainedFailure(spec);
            if (model != null) {  // the GPU build on a GPU machine: it runs
                TrainConfig config = TrainConfig.defaults().toBuilder().batchSize(8).epochs(1).build();
                try (model; Trainer trainer = Trainer.create(model, config)) {
                    Dataset data = LifecycleTest.synthetic("tiny", 16, (int) spec.inputSize(), 3, 1);
                    assertTrue(Double.isFinite(trainer.fit(data, data).validationAccuracy()));
                }
            }
        }
    }

    @Test
    void theBuildersPassTheDevice() {
        LayerpruneException e = null;
        try (Model m = ResidualMlp.builder().inputSize(8).width(4).sections(1).classes(3).device(Device.CUDA).build()) {
            assertEquals(1, m.sections());  // GPU build on a GPU
        } catch (LayerpruneException thrown) {
            e = thrown;
        }
        if (e != null) {
            if (gpuRequired()) {
                throw new AssertionError("LAYERPRUNE_REQUIRE_GPU=1 but CUDA could not be used: " + e.getMessage(), e);
            }
            String m = e.getMessage();
            assertTrue(m.contains(PREFIX + NO_BACKEND) || m.contains(PREFIX + NO_GPU), m);
        }
        try (Model m = ResNet.builder().depth(8).input(1, 6, 6).classes(3).device(Device.CPU).build()) {
            assertEquals(3, m.sections());
        }
    }

    @Test
    void namesParse() {
        assertEquals(Device.CUDA, Device.fromName("CUDA"));
        assertEquals(Device.CPU, Device.fromName("cpu"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Device.fromName("tpu"));
        assertTrue(e.getMessage().contains("use cpu or cuda"), e.getMessage());
    }
}

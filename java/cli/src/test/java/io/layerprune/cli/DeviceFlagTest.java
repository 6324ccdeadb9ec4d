package io.layerprune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.layerprune.TestData;
import org.junit.jupiter.api.Test;

/** {@code train --device}: an unknown name is a usage error; cuda without the GPU build or a GPU says so in one line. */
class DeviceFlagTest {
    @Test
    void unknownDeviceIsAUsageError() {
        MainTest.oneLineError(MainTest.run("train", "--device", "tpu"), 2, "--device", "use cpu or cuda");
    }

    @Test
    void cudaWithoutTheGpuBuildOrAGpuIsAOneLineError() {
        assumeTrue(TestData.fashionAvailable());
        MainTest.Run r = MainTest.run("train", "--data", TestData.FASHION.toString(), "--train-limit", "256",
                "--test-limit", "64", "--epochs", "1", "--sections", "2", "--width", "16", "--threads", "1",
                "--quiet", "--device", "cuda");
        String required = System.getenv("LAYERPRUNE_REQUIRE_GPU");
        if (required != null && !required.isEmpty() && !required.equals("0")) {
            // The GPU machine: --device cuda must train, its error is a failure.
            assertEquals(0, r.code(), "LAYERPRUNE_REQUIRE_GPU=1 but --device cuda failed: " + r);
            return;
        }
        assumeTrue(r.code() != 0, "this is the GPU build on a GPU machine: --device cuda trained");
        MainTest.oneLineError(r, 1, "could not use the CUDA device because");
    }
}

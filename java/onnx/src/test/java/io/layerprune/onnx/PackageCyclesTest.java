package io.layerprune.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.layerprune.PackageGraph;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The ONNX module is one package that uses the core's public packages only (jdeps on its classes). */
class PackageCyclesTest {
    @Test
    void onnxUsesOnlyTheCoresApi() {
        PackageGraph g = PackageGraph.of(Path.of("target", "classes"), "io.layerprune.onnx");
        assertEquals(Map.of("io.layerprune.onnx", Set.of()), g.edges, g.toString());
        assertEquals(java.util.List.of(), g.cycles());
    }
}

package io.layerprune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.layerprune.PackageGraph;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** No package cycle in the CLI module (jdeps on its classes); reports and plots do not use the commands. */
class PackageCyclesTest {
    @Test
    void cliPackagesHaveNoCycle() {
        PackageGraph g = PackageGraph.of(Path.of("target", "classes"), "io.layerprune");
        assertEquals(List.of(), g.cycles(), "package cycles in layerprune-cli:\n" + g);
        for (String lower : List.of("io.layerprune.report", "io.layerprune.plot", "io.layerprune.experiment")) {
            assertFalse(g.edges.getOrDefault(lower, Set.of()).contains("io.layerprune.cli"), g.toString());
        }
    }
}

package io.layerprune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * No package cycle in the core (issue 13 item 5), checked with jdeps on the compiled classes,
 * and the layering this module promises: the base package and the bindings use no other package
 * of ours, nothing but the public packages' own upper layers uses io.layerprune.checkpoint, and so on.
 */
class PackageCyclesTest {
    static final Path CLASSES = Path.of("target", "classes");

    @Test
    void corePackagesHaveNoCycle() {
        PackageGraph g = PackageGraph.of(CLASSES, "io.layerprune");
        assertEquals(List.of(), g.cycles(), "package cycles in the core:\n" + g);
        // The layers of docs/ARCHITECTURE.md, bottom to top.
        assertEquals(Set.of("io.layerprune.bindings"), g.edges.get("io.layerprune"), g.toString());
        assertFalse(uses(g, "io.layerprune.internal", "io.layerprune.data", "io.layerprune.model",
                "io.layerprune.train", "io.layerprune.checkpoint", "io.layerprune.inference"), g.toString());
        assertFalse(uses(g, "io.layerprune.data", "io.layerprune.model", "io.layerprune.train",
                "io.layerprune.checkpoint", "io.layerprune.inference"), g.toString());
        assertFalse(uses(g, "io.layerprune.model", "io.layerprune.model.zoo", "io.layerprune.train",
                "io.layerprune.checkpoint", "io.layerprune.inference"), g.toString());
        assertFalse(uses(g, "io.layerprune.train", "io.layerprune.checkpoint", "io.layerprune.inference"),
                g.toString());
    }

    @Test
    void theCheckFindsACycle() {
        PackageGraph g = new PackageGraph(Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a"), "d",
                Set.of("a")));
        assertEquals(List.of(Set.of("a", "b", "c")), g.cycles());
        assertTrue(new PackageGraph(Map.of("a", Set.of("b"), "b", Set.of())).cycles().isEmpty());
    }

    private static boolean uses(PackageGraph g, String from, String... to) {
        Set<String> deps = g.edges.getOrDefault(from, Set.of());
        for (String t : to) {
            if (deps.contains(t)) {
                return true;
            }
        }
        return false;
    }
}

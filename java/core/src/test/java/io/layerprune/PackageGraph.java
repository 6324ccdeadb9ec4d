package io.layerprune;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;

/**
 * The package dependency graph of compiled classes, from the JDK's {@code jdeps}
 * ({@code -verbose:package}), and its cycles (strongly connected components of more than one
 * package, or a package that depends on itself through others). Used by each module's
 * {@code PackageCyclesTest}: a cycle between layerprune packages fails the build.
 */
public final class PackageGraph {
    /** package -> the packages it depends on (only those starting with the prefix). */
    public final Map<String, Set<String>> edges;

    public PackageGraph(Map<String, Set<String>> edges) {
        this.edges = edges;
    }

    /** The graph of the classes under {@code classes} (a folder or jar), restricted to packages starting with {@code prefix}. */
    public static PackageGraph of(Path classes, String prefix) {
        if (!Files.exists(classes)) {
            throw new IllegalArgumentException(classes + " does not exist (compile first)");
        }
        ToolProvider jdeps = ToolProvider.findFirst("jdeps")
                .orElseThrow(() -> new IllegalStateException("jdeps is not available in this JDK"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        // The class path of the test JVM resolves the dependencies' modules for jdeps; what it cannot
        // find does not matter here (only our own packages are kept).
        String cp = System.getProperty("java.class.path");
        List<String> args = new ArrayList<>(List.of("-verbose:package", "-filter:package", "--multi-release", "17",
                "--ignore-missing-deps"));
        if (cp != null && !cp.isBlank()) {
            args.addAll(List.of("--module-path", modulePath(cp)));
        }
        args.add(classes.toString());
        int rc = jdeps.run(new PrintWriter(out), new PrintWriter(err), args.toArray(new String[0]));
        if (rc != 0) {
            throw new IllegalStateException("jdeps failed (" + rc + "): " + err + out);
        }
        Map<String, Set<String>> edges = new TreeMap<>();
        for (String line : out.toString().split("\\R")) {
            String t = line.trim();
            int arrow = t.indexOf("->");
            if (arrow < 0 || !line.startsWith(" ")) {
                continue;  // headers ("classes -> java.base") and blank lines
            }
            String from = t.substring(0, arrow).trim();
            String to = t.substring(arrow + 2).trim().split("\\s+")[0];
            if (from.startsWith(prefix)) {
                edges.computeIfAbsent(from, k -> new TreeSet<>());
                if (to.startsWith(prefix) && !to.equals(from)) {
                    edges.get(from).add(to);
                }
            }
        }
        if (edges.isEmpty()) {
            throw new IllegalStateException("jdeps found no package starting with " + prefix + " in " + classes
                    + ":\n" + out + err);
        }
        return new PackageGraph(edges);
    }

    /** Only existing jars and folders (jdeps refuses a module path entry that does not exist). */
    private static String modulePath(String cp) {
        return java.util.Arrays.stream(cp.split(java.io.File.pathSeparator))
                .filter(e -> !e.isBlank() && Files.exists(Path.of(e)) && e.endsWith(".jar"))
                .collect(Collectors.joining(java.io.File.pathSeparator));
    }

    /** Every cycle: the strongly connected components with more than one package (Tarjan). */
    public List<Set<String>> cycles() {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new TreeSet<>();
        List<Set<String>> out = new ArrayList<>();
        int[] counter = {0};
        for (String v : edges.keySet()) {
            if (!index.containsKey(v)) {
                strongConnect(v, index, low, stack, onStack, out, counter);
            }
        }
        return out;
    }

    private void strongConnect(String v, Map<String, Integer> index, Map<String, Integer> low, Deque<String> stack,
            Set<String> onStack, List<Set<String>> out, int[] counter) {
        index.put(v, counter[0]);
        low.put(v, counter[0]);
        counter[0]++;
        stack.push(v);
        onStack.add(v);
        for (String w : edges.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                strongConnect(w, index, low, stack, onStack, out, counter);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            Set<String> component = new TreeSet<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                component.add(w);
            } while (!w.equals(v));
            if (component.size() > 1) {
                out.add(component);
            }
        }
    }

    /** One line per package: "a -> b, c". */
    @Override
    public String toString() {
        return edges.entrySet().stream().map(e -> e.getKey() + " -> " + String.join(", ", e.getValue()))
                .collect(Collectors.joining("\n"));
    }
}

package io.layerprune.cli;

import io.layerprune.checkpoint.Checkpoint;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerprune.EvalMode;
import io.layerprune.inference.ExportedModel;
import io.layerprune.model.Model;
import io.layerprune.model.ModelSpec;
import io.layerprune.model.Precision;
import io.layerprune.report.ReportWriter;
import io.layerprune.runtime.Layerprune;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.function.BiFunction;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code layerprune bench-infer FILE}: inference latency (batch 1) and throughput (batch 128) of
 * the unpruned equivalent of FILE's model and of its exported network, side by side.
 */
@Command(name = "bench-infer", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Measures inference of two networks on the same random input, through the Java API (predict: "
                    + "copy in, forward, copy out):",
            "  original  the unpruned equivalent: FILE's architecture with every section present (fresh "
                    + "weights: the time does not depend on their values), Model.predict, deterministic mode;",
            "  checkpoint model  (FILE a checkpoint) its model as trained: pruned sections gone, nothing "
                    + "folded, Model.predict, deterministic mode;",
            "  exported  FILE's exported network (pruned sections removed, linear maps and batch norms "
                    + "folded), ExportedModel.predict.",
            "Latency: batch 1, the median over --runs runs of the mean time of --inner calls. Throughput: "
                    + "batch --batch, samples per second of the median run. Warm-up calls are not timed; the "
                    + "networks' runs are interleaved, so load on the machine affects both alike. 'cpu' is the "
                    + "calling thread's CPU time per batch-1 call: all of the work with --threads 1, and less "
                    + "sensitive to a busy machine than wall time.",
            "--precision applies to every network measured (the weights stay f32; bf16 rounds the inputs of "
                    + "the matrix products and accumulates in f32).",
            "FILE is an exported network (export, train --export) or a checkpoint (train --save).",
            ""},
        footer = {"", "Exit codes: 0 success, 1 failure while running, 2 usage error."})
public final class BenchInferCommand implements Callable<Integer> {
    /** Schema of the JSON written by {@code --json}. */
    public static final String SCHEMA = "layerprune.bench-infer/1";

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "Exported network or checkpoint.")
    Path file;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "15",
            description = "Timed runs per measurement; the median is reported (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--inner", paramLabel = "N", defaultValue = "20",
            description = "Batch-1 calls per latency run (default: ${DEFAULT-VALUE}).")
    int inner;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "5",
            description = "Untimed calls before each measurement (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "128",
            description = "Batch of the throughput measurement (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1",
            description = "Native threads; 0 = one per physical core (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--precision", paramLabel = "NAME", defaultValue = "fp32",
            converter = TrainCommand.PrecisionConverter.class, completionCandidates = TrainCommand.PrecisionNames.class,
            description = "Precision of every network's matrix products: fp32, or bf16 (needs a CPU with AVX512-BF16 "
                    + "or AMX-BF16) (default: ${DEFAULT-VALUE}).")
    Precision precision;

    @Option(names = "--json", paramLabel = "OUT", description = "Also write the results as JSON.")
    Path json;

    @Option(names = "--verbose", description = "Print stack traces with errors (also: environment LAYERPRUNE_DEBUG).")
    boolean verbose;

    /** Median, 10th and 90th percentile of a measurement, in seconds per call. */
    record Timing(double median, double p10, double p90) {}

    record Row(String name, long params, double flops, Timing latency, Timing batchTime, Timing latencyCpu) {
        double throughput(int batch) {
            return batch / batchTime.median();
        }
    }

    @Override
    public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        if (runs < 1 || inner < 1 || warmup < 0 || batch < 1 || threads < 0) {
            throw new CommandLine.ParameterException(cl,
                    "--runs, --inner and --batch must be >= 1, --warmup and --threads >= 0");
        }
        Layerprune.setThreads(threads);
        PrintWriter w = cl.getOut();
        List<Row> rows;
        ExportedModel.Summary s;
        String type;
        // A checkpoint's model, as trained (pruned sections gone, nothing folded), is a third candidate.
        try (Model trained = ModelFile.of(file) == ModelFile.CHECKPOINT ? Checkpoint.loadModel(file) : null;
                ExportedModel exported = trained != null ? ExportedModel.of(trained) : ModelFile.exported(file)) {
            s = exported.summary();
            if (trained != null) {
                trained.setPrecision(precision);
            }
            exported.setPrecision(precision);
            ModelSpec source = trained != null ? trained.spec() : exported.sourceSpec().orElseThrow(() ->
                    new IllegalArgumentException(file + " does not record its source architecture, so there is "
                            + "no original to compare with"));
            type = source.type();
            try (Model original = source.build()) {
                original.setPrecision(precision);
                List<Candidate> candidates = new ArrayList<>();
                candidates.add(new Candidate("original (unpruned)", original.params(),
                        original.flopsPerSample(EvalMode.DETERMINISTIC),
                        (x, n) -> original.predict(x, n, EvalMode.DETERMINISTIC)));
                if (trained != null) {
                    candidates.add(new Candidate("checkpoint model", trained.params(),
                            trained.flopsPerSample(EvalMode.DETERMINISTIC),
                            (x, n) -> trained.predict(x, n, EvalMode.DETERMINISTIC)));
                }
                candidates.add(new Candidate("exported", s.params(), s.flopsPerSample(), exported::predict));
                rows = measure(candidates, s.inputSize());
            }
        }
        Row base = rows.get(0);
        w.printf("%s, %d of %d sections kept, %d native thread(s), precision %s, median of %d runs%n", type,
                s.sectionsKept(), s.sectionsTotal(), Layerprune.threads(), precision.cliName(), runs);
        w.printf("%-20s %12s %14s %16s %16s %18s%n", "network", "params", "FLOPs/sample", "latency b=1 (ms)",
                "cpu b=1 (ms)", "throughput b=" + batch + " (/s)");
        for (Row r : rows) {
            w.printf("%-20s %,12d %,14.0f %16.4f %16.4f %18.0f%n", r.name, r.params, r.flops,
                    r.latency.median() * 1e3, r.latencyCpu.median() * 1e3, r.throughput(batch));
        }
        Row last = rows.get(rows.size() - 1);
        w.printf("speed-up of the exported network: latency x%.2f, throughput x%.2f%n",
                base.latency.median() / last.latency.median(), last.throughput(batch) / base.throughput(batch));
        if (json != null) {
            writeJson(rows, s, type);
            w.println("json: " + json);
        }
        w.flush();
        return 0;
    }

    record Candidate(String name, long params, double flops, BiFunction<float[], Integer, float[]> predict) {}

    /**
     * Runs are interleaved (run r of every candidate before run r + 1 of any), so a machine that
     * gets busier or quieter during the benchmark shifts all candidates alike.
     */
    private List<Row> measure(List<Candidate> candidates, long inputSize) {
        float[] x1 = input(1, inputSize), xb = input(batch, inputSize);
        int c = candidates.size();
        double[][] lat = new double[c][runs];
        double[][] thr = new double[c][runs];
        double[][] cpu = new double[c][runs];
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (Candidate k : candidates) {
            for (int i = 0; i < warmup; i++) {
                k.predict.apply(x1, 1);
                k.predict.apply(xb, batch);
            }
        }
        for (int r = 0; r < runs; r++) {
            for (int j = 0; j < c; j++) {
                BiFunction<float[], Integer, float[]> predict = candidates.get(j).predict;
                long c0 = mx.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                for (int i = 0; i < inner; i++) {
                    predict.apply(x1, 1);
                }
                lat[j][r] = (System.nanoTime() - t0) / 1e9 / inner;
                cpu[j][r] = (mx.getCurrentThreadCpuTime() - c0) / 1e9 / inner;
                t0 = System.nanoTime();
                predict.apply(xb, batch);
                thr[j][r] = (System.nanoTime() - t0) / 1e9;
            }
        }
        List<Row> rows = new ArrayList<>();
        for (int j = 0; j < c; j++) {
            Candidate k = candidates.get(j);
            rows.add(new Row(k.name, k.params, k.flops, timing(lat[j]), timing(thr[j]), timing(cpu[j])));
        }
        return rows;
    }

    static Timing timing(double[] seconds) {
        double[] v = seconds.clone();
        Arrays.sort(v);
        return new Timing(v[v.length / 2], v[(int) Math.floor(0.1 * (v.length - 1))],
                v[(int) Math.ceil(0.9 * (v.length - 1))]);
    }

    private static float[] input(int rows, long inputSize) {
        Random r = new Random(1);
        float[] x = new float[(int) (rows * inputSize)];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    private void writeJson(List<Row> rows, ExportedModel.Summary s, String type) throws Exception {
        ObjectNode root = ReportWriter.mapper().createObjectNode();
        root.put("schema", SCHEMA);
        root.put("file", file.toString());
        root.put("model", type);
        root.put("sections_total", s.sectionsTotal());
        root.put("sections_kept", s.sectionsKept());
        root.put("threads", Layerprune.threads());
        root.put("precision", precision.cliName());
        root.put("runs", runs);
        root.put("inner", inner);
        root.put("batch", batch);
        root.put("compared", "Java predict calls (copy in, forward, copy out) on the same random input");
        ArrayNode list = root.putArray("networks");
        for (Row r : rows) {
            ObjectNode n = list.addObject();
            n.put("name", r.name);
            n.put("params", r.params);
            n.put("flops_per_sample", r.flops);
            n.put("latency_batch1_ms_median", r.latency.median() * 1e3);
            n.put("latency_batch1_ms_p10", r.latency.p10() * 1e3);
            n.put("latency_batch1_ms_p90", r.latency.p90() * 1e3);
            n.put("cpu_batch1_ms_median", r.latencyCpu.median() * 1e3);
            n.put("batch_ms_median", r.batchTime.median() * 1e3);
            n.put("throughput_per_s", r.throughput(batch));
        }
        Row base = rows.get(0), last = rows.get(rows.size() - 1);
        root.put("latency_speedup", base.latency.median() / last.latency.median());
        root.put("throughput_speedup", last.throughput(batch) / base.throughput(batch));
        Path parent = json.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        ReportWriter.mapper().writerWithDefaultPrettyPrinter().writeValue(json.toFile(), root);
    }
}

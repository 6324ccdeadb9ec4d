package io.layerprune.cli;

import io.layerprune.DataException;
import io.layerprune.Device;
import io.layerprune.data.CifarDataset;
import io.layerprune.data.CifarReader;
import io.layerprune.data.Dataset;
import io.layerprune.data.IdxDataset;
import io.layerprune.inference.ExportedModel;
import io.layerprune.model.Architecture;
import io.layerprune.model.Model;
import io.layerprune.model.ModelSpec;
import io.layerprune.model.Precision;
import io.layerprune.model.zoo.LeNet5;
import io.layerprune.model.zoo.ResNet;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.model.zoo.Vgg16;
import io.layerprune.plot.PlotWriter;
import io.layerprune.report.ReportCollector;
import io.layerprune.report.StepCsv;
import io.layerprune.report.StepCsvWriter;
import io.layerprune.runtime.Layerprune;
import io.layerprune.train.Estimator;
import io.layerprune.train.PriorNorm;
import io.layerprune.train.PriorScaling;
import io.layerprune.train.PruningRule;
import io.layerprune.train.Schedule;
import io.layerprune.train.TrainConfig;
import io.layerprune.train.Trainer;
import io.layerprune.train.TrainingListener;
import io.layerprune.train.TrainingResult;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code layerprune train}: trains a gated residual network (MLP or ResNet) on CIFAR-10 or an
 * MNIST-format data set while pruning its sections, prints progress and a summary, and writes a JSON
 * report. The format is detected from the {@code --data} folder: {@code data_batch_1.bin} in it means
 * CIFAR-10 (3x32x32), anything else MNIST-format IDX files (1x28x28); the model's input follows.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        defaultValueProvider = TrainCommand.NativeDefaults.class,
        description = {
            "Trains a residual MLP (stem, gated sections, head) or a CIFAR-style ResNet on CIFAR-10 or an "
                    + "MNIST-format data set and prunes the sections that do not pay for themselves, while it trains.",
            "Without options: Fashion-MNIST (of the 60k training images 54k train and 6k are held out for "
                    + "validation; 10k test, evaluated once at the end), 784->256 stem, 12 sections of width 256, "
                    + "10 classes, the library's default hyper-parameters.",
            ""},
        footer = {})  // set by Main from footer(): it holds the native per-model defaults
public final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    private final boolean terminal;

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "/usr/share/datasets/fashion-mnist",
            description = "Folder of CIFAR-10's binary version (data_batch_1.bin .. data_batch_5.bin, "
                    + "test_batch.bin: 3x32x32 images), or of MNIST-format files train-/t10k- images-idx3-ubyte and "
                    + "labels-idx1-ubyte (.gz or plain: 1x28x28); detected from data_batch_1.bin "
                    + "(default: ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--train-limit", paramLabel = "N", defaultValue = "0",
            description = "Use only the first N training images; 0 = all (default: ${DEFAULT-VALUE}).")
    int trainLimit;

    @Option(names = "--test-limit", paramLabel = "N", defaultValue = "0",
            description = "Use only the first N test images; 0 = all (default: ${DEFAULT-VALUE}).")
    int testLimit;

    @Option(names = "--validation-fraction", paramLabel = "F", defaultValue = "0.1",
            description = "Share of the training images held out (drawn with --seed) as the validation set, in "
                    + "[0, 1): its numbers are shown and reported after every epoch, and the normalisation is computed "
                    + "on the rest; the test set is evaluated once, at the end. 0 = none (no per-epoch numbers) "
                    + "(default: ${DEFAULT-VALUE}).")
    double validationFraction;

    @Option(names = "--model", paramLabel = "NAME", defaultValue = "mlp",
            description = "Architecture: mlp (residual MLP, --sections/--width), resnet20, resnet32, resnet56, "
                    + "resnet110 (CIFAR ResNets on the data's image shape, every basic block a gated section), resnet18, "
                    + "resnet34, resnet50 (ImageNet layout, bottleneck blocks for 50; a 7x7 stem and max pool from 64 "
                    + "pixels up), vgg16 (9 gated conv-BN-ReLU sections), lenet5 (2 gated fully connected sections). Each "
                    + "model family has its own training defaults (learning rate, weight decay, augmentation, prior, "
                    + "theta rate: the table below); a flag overrides one (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--model-file", paramLabel = "FILE",
            description = "Any architecture, described in JSON (docs/ARCHITECTURE.md, \"Architecture description\"; "
                    + "Architecture.toJson writes one): input, stem, stages of gated sections, head. Its input must be the "
                    + "data's shape; instead of --model.")
    Path modelFile;

    @Option(names = "--theta-freeze-epochs", paramLabel = "N", defaultValue = "0",
            description = "Hold theta for the first N epochs (no estimator, no pruning; the prior still acts on "
                    + "the weights), as in ALGORITHM.md section 7's last reference row (default: ${DEFAULT-VALUE}).")
    int thetaFreezeEpochs;

    @Option(names = "--augment", negatable = true,
            description = "Image models: standard augmentation, a random crop of the image padded by 4 pixels (edge pixels "
                    + "repeated) and a random horizontal flip (seeded). On by default for the ResNets and VGG16 (see the "
                    + "table below); --no-augment turns it off.")
    Boolean augment;

    @Option(names = "--post-activation",
            description = "ResNets: h = ReLU after each section (classic post-activation) instead of the identity.")
    boolean postActivation;

    @Option(names = "--sections", paramLabel = "L", defaultValue = "12",
            description = "mlp: gated sections L (default: ${DEFAULT-VALUE}).")
    int sections;

    @Option(names = "--width", paramLabel = "D", defaultValue = "256",
            description = "mlp: width of the stem and of every section (default: ${DEFAULT-VALUE}).")
    long width;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "" + TrainConfig.DEFAULT_EPOCHS,
            description = "Passes over the training set (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch", paramLabel = "B", description = "Mini-batch size (default: ${DEFAULT-VALUE}).")
    Integer batch;

    @Option(names = "--lr", paramLabel = "ETA", description = "Peak learning rate eta_W of the weights "
            + "(default: ${DEFAULT-VALUE}).")
    Double lr;

    @Option(names = "--schedule", paramLabel = "NAME", converter = ScheduleConverter.class,
            completionCandidates = ScheduleNames.class,
            description = "Learning-rate schedule of the weights: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Schedule schedule;

    @Option(names = "--step-every", paramLabel = "STEPS", description = "Step schedule of the weights: multiply "
            + "eta_W by --step-gamma every STEPS steps (default: ${DEFAULT-VALUE}).")
    Long stepEvery;

    @Option(names = "--step-gamma", paramLabel = "G", description = "Step schedule of the weights: decay factor "
            + "(default: ${DEFAULT-VALUE}).")
    Double stepGamma;

    @Option(names = "--lambda", paramLabel = "X", description = {
        "Prior strength lambda (default: ${DEFAULT-VALUE}). A section survives while it lowers the training "
                + "loss by more than tau_l ~ lambda n_l / 2N nats.",
        "Note: --lambda 0 is not 'pruning off' (the data term alone still prunes); --no-gates is."})
    Double lambda;

    @Option(names = "--tau", paramLabel = "NATS", description = "Instead of --lambda: target threshold tau; "
            + "lambda = 2 N tau / max_l n_l (no default: --lambda is used).")
    Double tau;

    @Option(names = "--estimator", paramLabel = "NAME", converter = EstimatorConverter.class,
            completionCandidates = EstimatorNames.class,
            description = "Estimator of the data gradient of theta: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Estimator estimator;

    @Option(names = "--estimator-fraction", paramLabel = "F", description = "two-point: fraction of the live "
            + "sections re-run per step, in (0, 1] (default: ${DEFAULT-VALUE}).")
    Double estimatorFraction;

    @Option(names = "--estimator-budget", paramLabel = "F", description = "budgeted: expected FLOPs of the re-runs "
            + "as a fraction of the live network's training step, in (0, 1] (default: ${DEFAULT-VALUE}).")
    Double estimatorBudget;

    @Option(names = "--pruning-rule", paramLabel = "NAME", converter = PruningRuleConverter.class,
            description = "How theta follows its estimates: evidence (theta moves by the part of the running mean + "
                    + "prior that clears --evidence-z standard errors, --eta-theta per step per tau_l of it) or plain "
                    + "(ALGORITHM.md 4 as written: theta -= eta_theta * estimate) (default: ${DEFAULT-VALUE}).")
    PruningRule pruningRule;

    @Option(names = "--evidence-horizon", paramLabel = "STEPS", description = "evidence rule: steps the running mean "
            + "of each section's estimates weighs (default: ${DEFAULT-VALUE}).")
    Double evidenceHorizon;

    @Option(names = "--evidence-z", paramLabel = "Z", description = "evidence rule: standard errors the running mean "
            + "must clear before theta moves (default: ${DEFAULT-VALUE}).")
    Double evidenceZ;

    @Option(names = "--prior-scaling", paramLabel = "NAME", converter = PriorScalingConverter.class,
            description = "How the prior is shared out: per-flop (tau_l proportional to the section's FLOPs) or "
                    + "per-weight (ALGORITHM.md 2 as written: tau_l proportional to its weights) "
                    + "(default: ${DEFAULT-VALUE}).")
    PriorScaling priorScaling;

    @Option(names = "--prior-norm", paramLabel = "NAME", converter = PriorNormConverter.class,
            description = "Which ||W_l||^2 the prior reads: current (ALGORITHM.md 2 as written; the prior also pulls "
                    + "the weights) or initial (the initialisation's expected norm, which batch norm cannot "
                    + "shrink) (default: ${DEFAULT-VALUE}).")
    PriorNorm priorNorm;

    @Option(names = "--eta-theta", paramLabel = "ETA", description = "Learning rate of theta: per step per tau_l of "
            + "supported gradient (evidence rule) or per nat of estimate (plain rule) (default: ${DEFAULT-VALUE}).")
    Double etaTheta;

    @Option(names = "--theta-schedule", paramLabel = "NAME", converter = ThetaScheduleConverter.class,
            completionCandidates = ThetaScheduleNames.class,
            description = "Schedule of eta_theta: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Schedule thetaSchedule;

    @Option(names = "--theta-step-every", paramLabel = "STEPS", description = "Step schedule of eta_theta: multiply "
            + "it by --theta-step-gamma every STEPS steps (default: ${DEFAULT-VALUE}).")
    Long thetaStepEvery;

    @Option(names = "--theta-step-gamma", paramLabel = "G", description = "Step schedule of eta_theta: decay factor "
            + "(default: ${DEFAULT-VALUE}).")
    Double thetaStepGamma;

    @Option(names = "--theta0", paramLabel = "P", description = "Initial theta (default: ${DEFAULT-VALUE}).")
    Double theta0;

    @Option(names = "--patience", paramLabel = "STEPS", description = "Steps theta must sit at 0 before a section "
            + "is pruned (default: ${DEFAULT-VALUE}).")
    Integer patience;

    @Option(names = "--momentum", paramLabel = "M", description = "SGD momentum of the weights (default: ${DEFAULT-VALUE}).")
    Double momentum;

    @Option(names = "--clip-norm", paramLabel = "C", description = "Global gradient-norm clip, 0 = off "
            + "(default: ${DEFAULT-VALUE}).")
    Double clipNorm;

    @Option(names = "--weight-decay", paramLabel = "WD", description = "Weight decay on stem, head and skip "
            + "projections (default: ${DEFAULT-VALUE}).")
    Double weightDecay;

    @Option(names = "--s2", paramLabel = "S2", description = "Per-weight variance floor s2 > 0 (default: ${DEFAULT-VALUE}).")
    Double s2;

    @Option(names = "--precision", paramLabel = "NAME", converter = PrecisionConverter.class,
            completionCandidates = PrecisionNames.class,
            description = "Precision of the matrix products (dense layers and convolutions, forward and backward): "
                    + "fp32, or bf16 (bf16 inputs, f32 accumulation and outputs; weights, gradients and checkpoints "
                    + "stay f32; needs a CPU with AVX512-BF16 or AMX-BF16, else the run fails saying why) "
                    + "(default: ${DEFAULT-VALUE}).")
    Precision precision;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
            description = "Seed of the weights, gates and shuffling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--device", paramLabel = "NAME", defaultValue = "cpu",
            description = "Where the model runs: cpu (oneDNN) or cuda (one NVIDIA GPU; needs the linux-x86_64-gpu "
                    + "native jar and a GPU with its driver) (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "Native threads; 0 = one per physical core (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--no-gates", description = "Plain residual network, the baseline: theta fixed at 1, no prior, "
            + "no estimator, no pruning.")
    boolean noGates;

    @Option(names = "--report", paramLabel = "FILE", description = "Where to write the JSON report "
            + "(default: runs/<timestamp>/report.json).")
    Path report;

    @Option(names = "--save", paramLabel = "FILE", description = "Save a checkpoint (model, optimizer, RNG, report so "
            + "far) to FILE at the end of every epoch and at the end, atomically; 'train --resume FILE' continues it.")
    Path save;

    @Option(names = "--resume", paramLabel = "FILE", description = "Continue the run saved in FILE by 'train --save' "
            + "with its arguments (same data, seed and threads give the uninterrupted run's report); --save, --report, "
            + "--data, --threads, --stop-after-epochs and --quiet may be given again.")
    Path resume;

    @Option(names = "--stop-after-epochs", paramLabel = "N", defaultValue = "0",
            description = "With --save: stop after epoch N (saved), to continue later with --resume; 0 = run all "
                    + "epochs (default: ${DEFAULT-VALUE}).")
    int stopAfterEpochs;

    /** The checkpoint being resumed (set by ResumeSupport on the re-parsed command). */
    io.layerprune.checkpoint.Checkpoint resumeFrom;
    /** The CLI metadata of that checkpoint. */
    CliCheckpoint resumeMeta;

    @Option(names = "--export", paramLabel = "FILE", description = "At the end, write the deterministic final "
            + "network as an exported network (see 'layerprune export').")
    Path exportFile;

    @Option(names = "--distributed", paramLabel = "MODE", defaultValue = "auto",
            description = "Data-parallel training over MPI ranks (docs/SCALING.md): auto = on when started by "
                    + "`mpirun -np N bin/layerprune train ...` (each rank takes 1/N of every --batch; rank 0 prints and "
                    + "writes the report, plots, checkpoints and export), off = one process, mpi = fail unless "
                    + "started by mpirun (default: ${DEFAULT-VALUE}).")
    String distributedMode;

    @Option(names = "--quiet", description = "Print only the report path (and errors).")
    boolean quiet;

    @Option(names = "--no-plots", description = "Do not draw the PNG plots into the report's folder at the end "
            + "(<report>-theta.png, -params.png, -training-flops.png, -survivors.png; see 'plot').")
    boolean noPlots;

    @Option(names = "--verbose", description = "Print stack traces with errors (also: environment LAYERPRUNE_DEBUG), and the "
            + "library's debug log (SLF4J).")
    boolean verbose;

    public TrainCommand() {
        this(false);
    }

    TrainCommand(boolean terminal) {
        this.terminal = terminal;
    }

    boolean terminal() {
        return terminal;
    }

    /** Maps builder field names in validation messages to the flag the user typed. */
    private static final Map<String, String> FLAGS = Map.ofEntries(Map.entry("width", "--width"),
            Map.entry("sections", "--sections"), Map.entry("epochs", "--epochs"), Map.entry("batchSize", "--batch"),
            Map.entry("etaW", "--lr"), Map.entry("lambda", "--lambda"), Map.entry("tau", "--tau"),
            Map.entry("estimatorFraction", "--estimator-fraction"), Map.entry("etaTheta", "--eta-theta"),
            Map.entry("theta0", "--theta0"), Map.entry("patience", "--patience"), Map.entry("momentum", "--momentum"),
            Map.entry("clipNorm", "--clip-norm"), Map.entry("weightDecay", "--weight-decay"), Map.entry("s2", "--s2"),
            Map.entry("threads", "--threads"), Map.entry("trainLimit", "--train-limit"),
            Map.entry("testLimit", "--test-limit"), Map.entry("stepEvery", "--step-every"),
            Map.entry("stepGamma", "--step-gamma"), Map.entry("thetaSchedule", "--theta-schedule"),
            Map.entry("thetaStepEvery", "--theta-step-every"), Map.entry("thetaStepGamma", "--theta-step-gamma"),
            Map.entry("estimatorBudget", "--estimator-budget"), Map.entry("evidenceHorizon", "--evidence-horizon"),
            Map.entry("evidenceZ", "--evidence-z"), Map.entry("validationFraction", "--validation-fraction"));

    /** Image shape of the data: channels x height x width. */
    record Shape(int channels, int height, int width) {
        long size() {
            return (long) channels * height * width;
        }

        @Override
        public String toString() {
            return channels + "x" + height + "x" + width;
        }
    }

    static final Shape CIFAR_SHAPE = new Shape(CifarReader.CHANNELS, CifarReader.HEIGHT, CifarReader.WIDTH);
    static final Shape IDX_SHAPE = new Shape(1, 28, 28);

    private ModelSpec modelSpec(Shape shape) {
        if (modelFile != null) {
            if (spec.commandLine().getParseResult().hasMatchedOption("--model")) {
                throw new IllegalArgumentException("--model and --model-file are mutually exclusive: give one of them");
            }
            String json;
            try {
                json = Files.readString(modelFile);
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("could not read --model-file " + modelFile + ": " + e.getMessage(), e);
            }
            Architecture a = Architecture.fromJson(json).withSeed(seed);
            return postActivation ? a.withPostActivation(true) : a;
        }
        if (model.matches("resnet(18|34|50)")) {
            Architecture a = Architecture.preset(model, shape.channels(), shape.height(), shape.width(), 10).withSeed(seed);
            return postActivation ? a.withPostActivation(true) : a;
        }
        if (model.equals("mlp")) {
            return ResidualMlp.builder().inputSize(shape.size()).width(width).sections(sections).classes(10).seed(seed)
                    .spec();
        }
        if (model.matches("resnet\\d+")) {
            return ResNet.builder().depth(Integer.parseInt(model.substring(6)))
                    .input(shape.channels(), shape.height(), shape.width()).classes(10)
                    .postActivation(postActivation).seed(seed).spec();
        }
        if (model.equals("vgg16")) {
            return Vgg16.spec(shape.channels(), shape.height(), shape.width(), 10, seed);
        }
        if (model.equals("lenet5")) {
            return LeNet5.spec(shape.channels(), shape.height(), shape.width(), 10, seed);
        }
        throw new IllegalArgumentException("unknown model '" + model
                + "' for --model: use mlp, lenet5, resnet20, resnet32, resnet56, resnet110, resnet18, resnet34, resnet50 "
                + "or vgg16 (or --model-file)");
    }

    @Override
    public Integer call() {
        CommandLine cl = spec.commandLine();
        if (resume != null && resumeFrom == null) {
            return ResumeSupport.resume(this, cl);
        }
        PrintWriter out = cl.getOut();
        PrintWriter err = cl.getErr();
        if (cl.getParseResult().hasMatchedOption("--lambda") && cl.getParseResult().hasMatchedOption("--tau")) {
            throw new ParameterException(cl, "--lambda and --tau are mutually exclusive: give one of them");
        }
        OptionErrors.requireAtLeast(cl, "--train-limit", trainLimit, 0, "(0 = all)");
        OptionErrors.requireAtLeast(cl, "--test-limit", testLimit, 0, "(0 = all)");
        OptionErrors.requireAtLeast(cl, "--threads", threads, 0, "(0 = physical cores)");

        Device deviceChoice;
        try {
            deviceChoice = Device.fromName(device);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(cl, "invalid value for --device: " + e.getMessage(), e);
        }
        ModelSpec modelSpec;
        try {
            modelSpec = modelSpec(IDX_SHAPE); // usage errors first, whatever the data
        } catch (IllegalArgumentException e) {
            throw usage(cl, e);
        }
        if (!Files.isDirectory(data)) {
            throw new DataException(data + ": no such directory (--data expects a folder of CIFAR-10 binary batches "
                    + "or of MNIST-format IDX files)");
        }
        boolean cifar = CifarDataset.isCifarFolder(data);
        Shape shape = cifar ? CIFAR_SHAPE : IDX_SHAPE;
        if (cifar) {
            modelSpec = modelSpec(shape);
        }
        if (modelSpec.inputSize() != shape.size()) {  // a described architecture has its own input
            throw new ParameterException(cl, "the architecture of --model-file " + modelFile + " takes "
                    + modelSpec.inputSize() + " features per sample, but the data's samples are " + shape + " ("
                    + shape.size() + " features)");
        }
        boolean convolutional = modelSpec instanceof Architecture a ? a.imageInput() : !(modelSpec instanceof ResidualMlp.Spec);
        TrainConfig config;
        try {
            // The model family's defaults (native), then only the flags the user gave: the default
            // value provider fills every option for --help, so "given" is asked of the parse result.
            TrainConfig.Builder b = TrainConfig.defaultsFor(modelSpec).toBuilder().epochs(epochs).seed(seed)
                    .noGates(noGates);
            Given given = new Given(cl);
            given.ifGiven("--batch", batch, b::batchSize);
            given.ifGiven("--lr", lr, b::etaW);
            given.ifGiven("--schedule", schedule, b::schedule);
            given.ifGiven("--step-every", stepEvery, b::stepEvery);
            given.ifGiven("--step-gamma", stepGamma, b::stepGamma);
            given.ifGiven("--theta-schedule", thetaSchedule, b::thetaSchedule);
            given.ifGiven("--theta-step-every", thetaStepEvery, b::thetaStepEvery);
            given.ifGiven("--theta-step-gamma", thetaStepGamma, b::thetaStepGamma);
            if (tau != null) {
                b.tau(tau);
            } else {
                given.ifGiven("--lambda", lambda, b::lambda);
            }
            given.ifGiven("--estimator", estimator, b::estimator);
            given.ifGiven("--estimator-fraction", estimatorFraction, b::estimatorFraction);
            given.ifGiven("--estimator-budget", estimatorBudget, b::estimatorBudget);
            given.ifGiven("--pruning-rule", pruningRule, b::pruningRule);
            given.ifGiven("--evidence-horizon", evidenceHorizon, b::evidenceHorizon);
            given.ifGiven("--evidence-z", evidenceZ, b::evidenceZ);
            given.ifGiven("--prior-scaling", priorScaling, b::priorScaling);
            given.ifGiven("--prior-norm", priorNorm, b::priorNorm);
            given.ifGiven("--eta-theta", etaTheta, b::etaTheta);
            given.ifGiven("--theta0", theta0, b::theta0);
            given.ifGiven("--patience", patience, b::patience);
            given.ifGiven("--momentum", momentum, b::momentum);
            given.ifGiven("--clip-norm", clipNorm, b::clipNorm);
            given.ifGiven("--weight-decay", weightDecay, b::weightDecay);
            given.ifGiven("--s2", s2, b::s2);
            given.ifGiven("--precision", precision, b::precision);
            if (thetaFreezeEpochs < 0) {
                throw new IllegalArgumentException("--theta-freeze-epochs must be >= 0, got " + thetaFreezeEpochs);
            }
            if (augment != null) {
                if (augment && !convolutional) {
                    throw new IllegalArgumentException("--augment needs an image model (--model resnet20 ...), not mlp");
                }
                b.augmentPad(augment ? 4 : 0).augmentFlip(augment);
            }
            config = b.build();
        } catch (IllegalArgumentException e) {
            throw usage(cl, e);
        }
        // Before the data is loaded: a CPU that cannot run the precision fails now, with the core's reason
        // (the trainer would refuse it the same way, after the loading).
        Precision runPrecision = config.precision();
        runPrecision.unsupportedReason().ifPresent(reason -> {
            throw new io.layerprune.LayerpruneException("could not train with --precision " + runPrecision.cliName()
                    + " because " + reason);
        });

        Layerprune.setThreads(threads);
        int threadsUsed = Layerprune.threads();
        io.layerprune.runtime.Distributed world;
        try {
            world = io.layerprune.runtime.Distributed.init(distributedMode);
        } catch (IllegalArgumentException e) {
            throw usage(cl, e);
        }
        if (!world.isLead()) {  // the other ranks compute; rank 0 alone prints and writes files
            quiet = true;
            noPlots = true;
            exportFile = null;
            try {
                Path scratch = java.nio.file.Files.createTempDirectory("layerprune-rank" + world.rank());
                scratch.toFile().deleteOnExit();
                report = scratch.resolve("report.json");
                report.toFile().deleteOnExit();
                StepCsv.pathFor(report).toFile().deleteOnExit();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        Path reportPath = report != null ? report : defaultReportPath();

        long t0 = System.nanoTime();
        Runnable closeData;
        Dataset trainSet;
        Dataset validationSet;
        Dataset testSet;
        double[] normMean;
        double[] normStd;
        try {
            // The validation images are drawn (seeded by --seed) from the training images used
            // before the normalisation is computed on the rest.
            DataSplits s = DataSplits.load(data, trainLimit, testLimit, modelSpec.classes(), validationFraction, seed);
            closeData = s::close;
            trainSet = s.train();
            validationSet = s.validation();
            testSet = s.test();
            normMean = s.mean();
            normStd = s.std();
        } catch (IllegalArgumentException e) {
            throw usage(cl, e);
        }
        if (resumeMeta != null) {
            try {
                resumeMeta.checkNormalisation(normMean, normStd, data);
            } catch (RuntimeException e) {
                closeData.run();
                throw e;
            }
        }
        try {
            String name = cifar ? CifarDataset.NAME
                    : data.toAbsolutePath().normalize().getFileName() == null ? "dataset"
                    : data.toAbsolutePath().normalize().getFileName().toString();
            if (!quiet) {
                err.printf("layerprune %s: %s, %d training / %d validation / %d test images (loaded in %.1f s), "
                        + "%d threads%n", Layerprune.version(), name, trainSet.size(),
                        validationSet == null ? 0 : validationSet.size(), testSet.size(),
                        (System.nanoTime() - t0) / 1e9, threadsUsed);
                if (world.size() > 1) {
                    err.printf("distributed: %d ranks (mpi), %d rows of every batch of %d per rank%n", world.size(),
                            config.batchSize() / world.size(), config.batchSize());
                }
                String arch = modelSpec instanceof Architecture a
                        ? String.format("%s on %s, %d gated sections, %d parameters, %.3g FLOPs per sample%s", a.type(),
                                shape, a.sections(), a.params(), a.flopsPerSample(),
                                postActivation ? ", post-activation" : "")
                        : convolutional
                        ? String.format("%s on %s, %d gated %s sections%s", modelSpec.type(), shape,
                                modelSpec.sections(), sectionKind(modelSpec),
                                postActivation ? ", post-activation" : "")
                        : String.format("%d -> %d stem, %d gated sections of width %d", modelSpec.inputSize(),
                                modelSpec.width(), modelSpec.sections(), modelSpec.width());
                err.printf("model: %s, %d classes; %s, %s; lr %s, weight decay %s%s; precision %s%n", arch,
                        modelSpec.classes(), config.noGates() ? "no gates (baseline)" : estimatorLine(config),
                        config.tau() != null ? "tau " + config.tau() : "lambda " + config.lambda(), config.etaW(),
                        config.weightDecay(), config.augmentPad() > 0 || config.augmentFlip() ? ", augmented" : "",
                        config.precision().cliName());
                err.flush();
            }
            if (thetaFreezeEpochs > 0) {  // epochs -> steps, now that the training set's size is known
                config = config.toBuilder()
                        .thetaFreezeSteps((long) thetaFreezeEpochs * (trainSet.size() / config.batchSize())).build();
            }
            if (resumeFrom != null) {
                config = resumeFrom.config().orElseThrow();  // the saved run's, exactly
            }
            // A resumed run's model and trainer belong to its checkpoint (closed by ResumeSupport).
            try (Model model = resumeFrom != null ? null : modelSpec.build(deviceChoice);
                    Trainer trainer = resumeFrom != null ? null : Trainer.create(model, config);
                    StepCsvWriter steps = new StepCsvWriter(resumeFrom != null ? resumeFrom.model() : model,
                            resumeFrom != null ? resumeFrom.trainer() : trainer, StepCsv.pathFor(reportPath))) {
                Trainer run = resumeFrom != null ? resumeFrom.trainer() : trainer;
                if (world.size() > 1) {
                    run.distributed(world);
                }
                List<TrainingListener> listeners = new ArrayList<>();
                ReportCollector collector = new ReportCollector(modelSpec, config, threadsUsed, Layerprune.version(),
                        name, trainSet.size(), validationSet == null ? 0 : validationSet.size(), testSet.size(),
                        reportPath);
                if (resumeMeta != null) {
                    collector.restore(resumeMeta.report());
                }
                listeners.add(collector);
                listeners.add(steps);
                CheckpointSaver saver = null;
                if (save != null && world.isLead()) {
                    List<String> args = List.copyOf(cl.getParseResult().originalArgs());
                    List<String> original = resumeMeta != null ? resumeMeta.args() : args;
                    CliCheckpoint.Run meta = new CliCheckpoint.Run(original, threadsUsed,
                            data.toAbsolutePath().toString(), trainLimit, testLimit, validationFraction, seed, normMean,
                            normStd);
                    saver = new CheckpointSaver(run, save, () -> meta.with(collector.report()).toJson());
                    listeners.add(saver);  // after the collector: the saved report has the epoch just done
                }
                if (save != null) {  // every rank stops after the same epoch
                    int totalEpochs = config.epochs();
                    if (stopAfterEpochs > 0 && stopAfterEpochs < totalEpochs) {
                        listeners.add(new io.layerprune.train.TrainingListener() {
                            @Override
                            public void onEpoch(io.layerprune.train.EpochEvent e) {
                                if (e.epoch() >= stopAfterEpochs) {
                                    throw new StopAfterEpochs(e.epoch());
                                }
                            }
                        });
                    }
                } else if (stopAfterEpochs > 0) {
                    throw new ParameterException(cl, "--stop-after-epochs needs --save FILE (the run is continued from it)");
                }
                if (!quiet) {
                    listeners.add(new ProgressPrinter(err, terminal));
                    if (resumeFrom != null) {
                        err.printf("resuming %s after epoch %d of %d%n", resume, resumeFrom.epochsDone(),
                                config.epochs());
                        err.flush();
                    }
                }
                TrainingResult result;
                try {
                    // Per-epoch numbers on the validation set; the test set once, at the end.
                    result = run.fit(trainSet, validationSet, testSet, listeners.toArray(new TrainingListener[0]));
                } catch (StopAfterEpochs stop) {
                    if (world.isLead()) {
                        out.println("stopped after epoch " + stop.epoch + "; continue with: layerprune train --resume "
                                + save);
                    }
                    out.flush();
                    return 0;
                } catch (io.layerprune.LayerpruneException e) {
                    if (saver != null && saver.lastSavedEpoch() > 0) {
                        throw new io.layerprune.LayerpruneException(e.getMessage() + " (the last good checkpoint, "
                                + "epoch " + saver.lastSavedEpoch() + ", is intact in " + save + ")", e);
                    }
                    throw e;
                }
                if (!quiet) {
                    FinalTable.print(out, result);
                }
                if (exportFile != null) {
                    ExportedModel.export(run.model(), exportFile);
                    out.println("export: " + exportFile);
                }
                if (world.isLead()) {
                    out.println("report: " + reportPath);
                }
                if (!quiet) {
                    out.println("steps: " + StepCsv.pathFor(reportPath));
                }
                if (!noPlots) {
                    List<Path> plots = PlotWriter.plot(List.of(reportPath), plotFolder(reportPath));
                    if (!quiet) {
                        out.println("plots: " + plots.stream().map(p -> p.getFileName().toString())
                                .collect(java.util.stream.Collectors.joining(", ")) + " in " + plotFolder(reportPath));
                    }
                }
                out.flush();
            }
        } finally {
            closeData.run();
        }
        return 0;
    }

    /** Ends fit() after the epoch --stop-after-epochs names (its checkpoint is saved by then). */
    private static final class StopAfterEpochs extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int epoch;

        StopAfterEpochs(int epoch) {
            super("stopped after epoch " + epoch, null, false, false);
            this.epoch = epoch;
        }
    }

    /**
     * The help footer: each model family's training defaults as the native core gives them
     * (the flags above show the mlp's), then the notes.
     */
    static String[] footer() {
        List<String> lines = new ArrayList<>();
        lines.add("");
        lines.add("Training defaults per model (from the native core; a flag overrides one):");
        try {
            lines.add(String.format(java.util.Locale.ROOT, "  %-10s %-6s %-12s %-9s %-7s %-9s %-7s %s", "model", "lr",
                    "weight-decay", "augment", "lambda", "eta-theta", "budget", "evidence z / horizon"));
            Shape s = IDX_SHAPE;
            List<Map.Entry<String, ModelSpec>> families = List.of(
                    Map.entry("mlp", ResidualMlp.builder().inputSize(s.size()).classes(10).spec()),
                    Map.entry("resnet*", ResNet.builder().depth(20).input(1, 28, 28).classes(10).spec()),
                    Map.entry("vgg16", Vgg16.spec(1, 32, 32, 10, 1)),
                    Map.entry("lenet5", LeNet5.spec(1, 28, 28, 10, 1)));
            for (Map.Entry<String, ModelSpec> f : families) {
                TrainConfig d = TrainConfig.defaultsFor(f.getValue());
                lines.add(String.format(java.util.Locale.ROOT, "  %-10s %-6s %-12s %-9s %-7s %-9s %-7s %s / %s",
                        f.getKey(), d.etaW(), d.weightDecay(), d.augmentPad() > 0 || d.augmentFlip() ? "crop+flip" : "off",
                        d.lambda(), d.etaTheta(), d.estimatorBudget(), d.evidenceZ(), d.evidenceHorizon()));
            }
        } catch (RuntimeException | LinkageError e) {
            lines.add("  (the native library is unavailable: " + e.getMessage() + ")");
        }
        lines.add("");
        lines.add("Pruning off is --no-gates, not --lambda 0: with lambda 0 the data term alone still prunes "
                + "sections whose presence raises the loss.");
        lines.add("Exit codes: 0 success, 1 failure while running, 2 usage error.");
        return lines.toArray(new String[0]);
    }

    /** The first section's kind as the core describes it (a preset's sections share one kind). */
    private static String sectionKind(ModelSpec spec) {
        if (spec.sections() == 0) {
            return "no";
        }
        return switch (spec.architecture().section(0).kind()) {
            case "dense" -> "W-a-W";
            case "basic" -> "W-B-a-W";
            case "plain" -> "conv-BN-ReLU";
            default -> spec.architecture().section(0).kind();
        };
    }

    private static String estimatorLine(TrainConfig c) {
        String est = "estimator " + c.estimator().cliName() + switch (c.estimator()) {
            case BUDGETED -> " (budget " + c.estimatorBudget() + ")";
            case TWO_POINT -> " (fraction " + c.estimatorFraction() + ")";
            default -> "";
        };
        return est + ", pruning rule " + c.pruningRule().cliName() + (c.pruningRule() == PruningRule.EVIDENCE
                ? " (z " + c.evidenceZ() + ", horizon " + c.evidenceHorizon() + ")" : "");
    }

    /** Applies an option's value only when the user gave the option. */
    private record Given(CommandLine cl) {
        <T> void ifGiven(String option, T value, java.util.function.Consumer<T> set) {
            if (value != null && cl.getParseResult().hasMatchedOption(option)) {
                set.accept(value);
            }
        }
    }

    private static ParameterException usage(CommandLine cl, IllegalArgumentException e) {
        return OptionErrors.fromValidation(cl, e, FLAGS);
    }

    /** The report's folder (plots go beside the report). */
    private static Path plotFolder(Path report) {
        return report.getParent() != null ? report.getParent() : report.toAbsolutePath().getParent();
    }

    private static Path defaultReportPath() {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path p = Path.of("runs", stamp, "report.json");
        for (int i = 2; Files.exists(p); i++) {
            p = Path.of("runs", stamp + "-" + i, "report.json");
        }
        return p;
    }

    /** Default values shown in --help and applied when a flag is absent: the native TrainConfig defaults. */
    public static final class NativeDefaults implements CommandLine.IDefaultValueProvider {
        @Override
        public String defaultValue(ArgSpec arg) {
            if (!(arg instanceof OptionSpec o)) {
                return null;
            }
            TrainConfig d;
            try {
                d = TrainConfig.defaults();
            } catch (RuntimeException | LinkageError e) {
                return null; // native library unavailable: the flag stays unset, TrainConfig decides later
            }
            switch (o.longestName()) {
                case "--batch":
                    return Integer.toString(d.batchSize());
                case "--lr":
                    return Double.toString(d.etaW());
                case "--schedule":
                    return d.schedule().cliName();
                case "--step-every":
                    return Long.toString(d.stepEvery());
                case "--step-gamma":
                    return Double.toString(d.stepGamma());
                case "--theta-schedule":
                    return d.thetaSchedule().cliName();
                case "--theta-step-every":
                    return Long.toString(d.thetaStepEvery());
                case "--theta-step-gamma":
                    return Double.toString(d.thetaStepGamma());
                case "--lambda":
                    return Double.toString(d.lambda());
                case "--estimator":
                    return d.estimator().cliName();
                case "--estimator-fraction":
                    return Double.toString(d.estimatorFraction());
                case "--estimator-budget":
                    return Double.toString(d.estimatorBudget());
                case "--pruning-rule":
                    return d.pruningRule().cliName();
                case "--evidence-horizon":
                    return Double.toString(d.evidenceHorizon());
                case "--evidence-z":
                    return Double.toString(d.evidenceZ());
                case "--prior-scaling":
                    return d.priorScaling().cliName();
                case "--prior-norm":
                    return d.priorNorm().cliName();
                case "--eta-theta":
                    return Double.toString(d.etaTheta());
                case "--theta0":
                    return Double.toString(d.theta0());
                case "--patience":
                    return Integer.toString(d.patience());
                case "--momentum":
                    return Double.toString(d.momentum());
                case "--clip-norm":
                    return Double.toString(d.clipNorm());
                case "--weight-decay":
                    return Double.toString(d.weightDecay());
                case "--s2":
                    return Double.toString(d.s2());
                case "--precision":
                    return d.precision().cliName();
                default:
                    return null;
            }
        }
    }

    /** A picocli converter from a parser whose IllegalArgumentException names the bad value. */
    abstract static class NamedConverter<T> implements ITypeConverter<T> {
        private final java.util.function.Function<String, T> parse;

        NamedConverter(java.util.function.Function<String, T> parse) {
            this.parse = parse;
        }

        @Override
        public T convert(String value) {
            try {
                return parse.apply(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    static final class EstimatorConverter extends NamedConverter<Estimator> {
        EstimatorConverter() {
            super(Estimator::fromName);
        }
    }

    static final class PriorScalingConverter extends NamedConverter<PriorScaling> {
        PriorScalingConverter() {
            super(PriorScaling::fromName);
        }
    }

    static final class PriorNormConverter extends NamedConverter<PriorNorm> {
        PriorNormConverter() {
            super(PriorNorm::fromName);
        }
    }

    static final class PrecisionConverter extends NamedConverter<Precision> {
        PrecisionConverter() {
            super(Precision::fromName);
        }
    }

    static final class PrecisionNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(Precision.values()).map(Precision::cliName).iterator();
        }
    }

    static final class PruningRuleConverter extends NamedConverter<PruningRule> {
        PruningRuleConverter() {
            super(PruningRule::fromName);
        }
    }

    static final class ScheduleConverter extends NamedConverter<Schedule> {
        ScheduleConverter() {
            super(Schedule::fromName);
        }
    }

    static final class ThetaScheduleConverter implements ITypeConverter<Schedule> {
        @Override
        public Schedule convert(String value) {
            Schedule s;
            try {
                s = Schedule.fromName(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
            if (s != Schedule.CONSTANT && s != Schedule.STEP) {
                throw new CommandLine.TypeConversionException(
                        "eta_theta has no '" + value + "' schedule, expected one of constant, step");
            }
            return s;
        }
    }

    static final class ThetaScheduleNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return List.of(Schedule.CONSTANT.cliName(), Schedule.STEP.cliName()).iterator();
        }
    }

    static final class EstimatorNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(Estimator.values()).map(Estimator::cliName).iterator();
        }
    }

    static final class ScheduleNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(Schedule.values()).map(Schedule::cliName).iterator();
        }
    }
}

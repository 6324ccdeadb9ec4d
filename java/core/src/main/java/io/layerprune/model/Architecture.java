package io.layerprune.model;

import io.layerprune.Device;
import io.layerprune.LayerpruneException;
import io.layerprune.bindings.LayerpruneNative;
import io.layerprune.internal.Native;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Any gated architecture, described as the native core describes it (the same description in
 * C++, JSON and here): an input, a stem, stages of gated sections, a head. Build one with the
 * typed {@link #builder()}, take a {@link #preset}, or read one with {@link #fromJson}; {@link
 * #build()} creates the model and {@code TrainConfig.defaultsFor(ModelSpec)} gives its family's training
 * defaults.
 *
 * <pre>{@code
 * Architecture resnet = Architecture.builder()
 *         .input(3, 64, 64)
 *         .stem(Architecture.Layer.conv(64).kernel(7).stride(2), Architecture.Pool.max(3).stride(2).pad(1))
 *         .stage(Architecture.Stage.bottleneck(64, 3))
 *         .stage(Architecture.Stage.bottleneck(128, 4).stride(2))
 *         .head(10)
 *         .spec();
 * try (Model mlp = Architecture.builder().features(784).stem(Architecture.Layer.dense(512))
 *         .stage(Architecture.Stage.dense(512, 256, 128)).head(10).build()) { ... }
 * Architecture r50 = Architecture.preset("resnet50", 3, 32, 32, 10);
 * }</pre>
 *
 * <p>Section kinds: {@code dense} (W-a-W: dense + bias, ReLU, dense + bias), {@code basic} (W-B-a-W:
 * conv-BN-ReLU-conv, the basic block without its last BN), {@code bottleneck} (1x1-BN-ReLU-3x3-BN-ReLU-1x1
 * to {@code expansion} x width channels) and {@code plain} (conv-BN-ReLU, VGG). A section's skip is the
 * identity where it keeps the shape and a linear projection (a dense matrix or a 1x1 strided
 * convolution) where it changes it; its h is the identity or, with {@link Stage#postActivation}, ReLU.
 * Validation, section counts, FLOP and parameter counts come from the native core (messages name the
 * offending field, e.g. {@code stages[1].widths[0] must be > 0}). The JSON schema is in
 * docs/ARCHITECTURE.md ("Architecture description").
 *
 * <p>Immutable; the seed (weight initialisation) is not part of the description.
 */
public final class Architecture implements ModelSpec {
    private final String json;
    private final long seed;
    private final String name;
    private final boolean imageInput;
    private final long inputSize, channels, height, width, stemWidth, params;
    private final int sections, classes, family;
    private final double flops;

    private Architecture(String canonicalJson, long seed) {
        this.json = canonicalJson;
        this.seed = seed;
        this.name = nameOf(canonicalJson);
        try (LayerpruneNative.ArchitectureSummary s = new LayerpruneNative.ArchitectureSummary()) {
            Native.run(() -> LayerpruneNative.architecture_summary(canonicalJson, s));
            imageInput = s.image_input() != 0;
            inputSize = s.input_size();
            channels = s.channels();
            height = s.height();
            width = s.width();
            stemWidth = s.stem_width();
            params = s.params();
            sections = s.sections();
            classes = s.classes();
            family = s.family();
            flops = s.flops_per_sample();
        }
    }

    /** A typed builder of a description. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A preset for images of channels x height x width (or their flattened features): {@code mlp}
     * (stem 256, 12 dense sections of 256), {@code mlp:512-256-128} (stem 512, one dense section per
     * width), {@code lenet5}, {@code vgg16}, {@code resnet20}, {@code resnet32}, {@code resnet56},
     * {@code resnet110} (any 6n + 2: the CIFAR layout), {@code resnet18}, {@code resnet34}, {@code
     * resnet50} (the ImageNet layout, bottleneck blocks for 50; a 7x7 stride-2 stem and a 3x3 max pool
     * from 64 pixels up, else a 3x3 stride-1 stem).
     *
     * @throws IllegalArgumentException for an unknown name or sizes the preset cannot take
     */
    public static Architecture preset(String name, long channels, long height, long width, int classes) {
        return preset(name, channels, height, width, classes, 1.0);
    }

    /** A preset with its widths scaled by {@code widthMultiplier} (1 = the published sizes). */
    public static Architecture preset(String name, long channels, long height, long width, int classes,
            double widthMultiplier) {
        Objects.requireNonNull(name, "name");
        return new Architecture(validated(() -> LayerpruneNative.architecture_preset(name, channels, height, width,
                classes, widthMultiplier)), 1);
    }

    /**
     * Reads a description (JSON, docs/ARCHITECTURE.md); fields it leaves out take their defaults.
     *
     * @throws IllegalArgumentException naming the offending field of an invalid description
     */
    public static Architecture fromJson(String json) {
        Objects.requireNonNull(json, "json");
        return new Architecture(validated(() -> LayerpruneNative.architecture_normalize(json)), 1);
    }

    private static String validated(java.util.function.Supplier<String> nativeCall) {
        try {
            return Native.call(nativeCall);
        } catch (LayerpruneException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** The canonical JSON (every field explicit); {@link #fromJson} reads it back to an equal description. */
    public String toJson() {
        return json;
    }

    /** The same description with another initialisation seed. */
    public Architecture withSeed(long seed) {
        return seed == this.seed ? this : new Architecture(json, seed);
    }

    /** The same description with h = ReLU after every section ({@code true}) or the identity. */
    public Architecture withPostActivation(boolean relu) {
        return new Architecture(validated(() -> LayerpruneNative.architecture_with_post_activation(json, relu ? 1 : 0)),
                seed);
    }

    /** The description's name, or "architecture" when it has none. */
    @Override
    public String type() {
        return name.isEmpty() ? "architecture" : name;
    }

    @Override
    public int family() {
        return family;
    }

    @Override
    public long inputSize() {
        return inputSize;
    }

    /** Whether the input is an image (channels x height x width, NHWC); augmentation needs one. */
    public boolean imageInput() {
        return imageInput;
    }

    public long channels() {
        return channels;
    }

    public long height() {
        return height;
    }

    /** The input's width in pixels (1 for feature vectors); {@link #width()} is the stem's. */
    public long inputWidth() {
        return width;
    }

    /** The stem's width (dense) or channels (conv). */
    @Override
    public long width() {
        return stemWidth;
    }

    @Override
    public int sections() {
        return sections;
    }

    @Override
    public int classes() {
        return classes;
    }

    @Override
    public long seed() {
        return seed;
    }

    /** Parameters with every section present (the native cost model's count). */
    public long params() {
        return params;
    }

    /** Forward FLOPs per sample with every section on (2 per multiply-add). */
    public double flopsPerSample() {
        return flops;
    }

    /** What the cost model says of one gated section. */
    public record SectionFacts(String kind, long inWidth, long outWidth, boolean projection, long weights,
            long bodyParams, long skipParams, double bodyFlops, double skipFlops) {}

    /** This description itself. */
    @Override
    public Architecture architecture() {
        return this;
    }

    /** Section {@code index}'s kind, widths, skip, weights, parameters and FLOPs. */
    public SectionFacts section(int index) {
        if (index < 0 || index >= sections) {
            throw new IndexOutOfBoundsException("section index must be in [0, " + sections + "), got " + index);
        }
        try (LayerpruneNative.ArchitectureSection s = new LayerpruneNative.ArchitectureSection()) {
            Native.run(() -> LayerpruneNative.architecture_section(json, index, s));
            String[] kinds = {"dense", "basic", "bottleneck", "plain"};
            return new SectionFacts(kinds[s.kind()], s.in_width(), s.out_width(), s.has_projection() != 0, s.weights(),
                    s.body_params(), s.skip_params(), s.body_flops(), s.skip_flops());
        }
    }

    @Override
    public LayerpruneNative.Model createNative(Device device) {
        return LayerpruneNative.model_create(json, seed, device.code());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Architecture a && a.json.equals(json) && a.seed == seed;
    }

    @Override
    public int hashCode() {
        return json.hashCode() * 31 + Long.hashCode(seed);
    }

    @Override
    public String toString() {
        return "Architecture[" + type() + ", " + sections + " sections, seed " + seed + ", " + json + "]";
    }

    // The "name" of a canonical description (written by the native core: {"version":1,"name":"...",...}).
    private static String nameOf(String canonical) {
        String key = "\"name\":\"";
        int at = canonical.indexOf(key);
        if (at < 0 || canonical.indexOf("\"family\"") < at) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        for (int i = at + key.length(); i < canonical.length(); i++) {
            char c = canonical.charAt(i);
            if (c == '"') {
                break;
            }
            if (c == '\\' && i + 1 < canonical.length()) {
                char e = canonical.charAt(++i);
                if (e == 'u' && i + 4 < canonical.length()) {
                    out.append((char) Integer.parseInt(canonical.substring(i + 1, i + 5), 16));
                    i += 4;
                } else {
                    out.append(switch (e) {
                        case 'n' -> '\n';
                        case 't' -> '\t';
                        case 'r' -> '\r';
                        case 'b' -> '\b';
                        case 'f' -> '\f';
                        default -> e;
                    });
                }
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    // JSON writing for the builder: the schema is small, so no JSON library.
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    /** The skip of a stage's sections. */
    public enum Skip {
        /** The identity where a section keeps the shape, a learned linear projection where it changes it. */
        AUTO,
        /** The identity (an error where a section changes the shape). */
        IDENTITY,
        /** Always a learned linear projection. */
        PROJECTION
    }

    /**
     * An ungated layer: the stem or a stage's transition. Dense layers have a bias and an optional
     * ReLU (a spatial input is read as its features); conv layers have no bias, an optional batch norm
     * and an optional ReLU.
     */
    public record Layer(String kind, long out, long kernel, long stride, long pad, boolean batchNorm, boolean relu) {
        /** A dense layer of {@code width} outputs with ReLU. */
        public static Layer dense(long width) {
            return new Layer("dense", width, 1, 1, 0, false, true);
        }

        /** A 3x3 stride-1 conv layer with "same" padding, BN and ReLU. */
        public static Layer conv(long channels) {
            return new Layer("conv", channels, 3, 1, -1, true, true);
        }

        /** Filter size (padding follows as kernel / 2 unless set). */
        public Layer kernel(long kernel) {
            return new Layer(kind, out, kernel, stride, pad, batchNorm, relu);
        }

        public Layer stride(long stride) {
            return new Layer(kind, out, kernel, stride, pad, batchNorm, relu);
        }

        /** Symmetric zero padding (default kernel / 2). */
        public Layer pad(long pad) {
            return new Layer(kind, out, kernel, stride, pad, batchNorm, relu);
        }

        public Layer batchNorm(boolean batchNorm) {
            return new Layer(kind, out, kernel, stride, pad, batchNorm, relu);
        }

        public Layer relu(boolean relu) {
            return new Layer(kind, out, kernel, stride, pad, batchNorm, relu);
        }

        String json(Pool pool) {
            StringBuilder b = new StringBuilder("{\"kind\":").append(quote(kind));
            if (kind.equals("dense")) {
                b.append(",\"width\":").append(out).append(",\"relu\":").append(relu);
            } else {
                b.append(",\"channels\":").append(out).append(",\"kernel\":").append(kernel).append(",\"stride\":")
                        .append(stride);
                if (pad >= 0) {
                    b.append(",\"pad\":").append(pad);
                }
                b.append(",\"batchnorm\":").append(batchNorm).append(",\"relu\":").append(relu);
            }
            if (pool != null) {
                b.append(",\"pool\":").append(pool.json());
            }
            return b.append('}').toString();
        }
    }

    /** Max pooling over kernel x kernel windows: stride (default kernel), symmetric padding, floor or ceil mode. */
    public record Pool(long kernel, long stride, long pad, boolean ceil) {
        public static Pool max(long kernel) {
            return new Pool(kernel, kernel, 0, false);
        }

        public Pool stride(long stride) {
            return new Pool(kernel, stride, pad, ceil);
        }

        public Pool pad(long pad) {
            return new Pool(kernel, stride, pad, ceil);
        }

        /** Ceil mode: a last partial window pools alone (VGG16's and LeNet-5's 2x2 pools on odd sizes). */
        public Pool ceil(boolean ceil) {
            return new Pool(kernel, stride, pad, ceil);
        }

        String json() {
            return "{\"kernel\":" + kernel + ",\"stride\":" + stride + ",\"pad\":" + pad + ",\"ceil\":" + ceil + "}";
        }
    }

    /**
     * A stage: an optional ungated transition, gated sections of one kind (one width each), then an
     * optional max pool and flatten.
     */
    public record Stage(Layer transition, String kind, List<Long> widths, long stride, long kernel, long expansion,
            Skip skip, boolean postActivation, Pool pool, boolean flattenAfter) {
        public Stage {
            widths = List.copyOf(widths);
        }

        /** Dense W-a-W sections, one per width. */
        public static Stage dense(long... widths) {
            return of("dense", widths);
        }

        /** {@code blocks} basic W-B-a-W sections of {@code channels}. */
        public static Stage basic(long channels, int blocks) {
            return of("basic", repeat(channels, blocks));
        }

        /** {@code blocks} bottleneck sections of inner width {@code width} (output: expansion x width, 4 by default). */
        public static Stage bottleneck(long width, int blocks) {
            return of("bottleneck", repeat(width, blocks));
        }

        /** {@code blocks} plain conv-BN-ReLU sections of {@code channels} (VGG). */
        public static Stage plain(long channels, int blocks) {
            return of("plain", repeat(channels, blocks));
        }

        /** Sections of {@code kind} ("dense", "basic", "bottleneck", "plain"), one per width (none: a stage of
         * a transition, pool or flatten alone). */
        public static Stage of(String kind, long... widths) {
            List<Long> w = new ArrayList<>();
            for (long x : widths) {
                w.add(x);
            }
            return new Stage(null, kind, w, 1, 3, 4, Skip.AUTO, false, null, false);
        }

        private static long[] repeat(long width, int blocks) {
            if (blocks < 0) {
                throw new IllegalArgumentException("blocks must be >= 0, got " + blocks);
            }
            long[] w = new long[blocks];
            Arrays.fill(w, width);
            return w;
        }

        /** The first section's stride (conv kinds). */
        public Stage stride(long stride) {
            return new Stage(transition, kind, widths, stride, kernel, expansion, skip, postActivation, pool, flattenAfter);
        }

        /** The (middle) filter size of conv sections, odd (default 3). */
        public Stage kernel(long kernel) {
            return new Stage(transition, kind, widths, stride, kernel, expansion, skip, postActivation, pool, flattenAfter);
        }

        /** Bottleneck sections: output channels = expansion x width (default 4). */
        public Stage expansion(long expansion) {
            return new Stage(transition, kind, widths, stride, kernel, expansion, skip, postActivation, pool, flattenAfter);
        }

        public Stage skip(Skip skip) {
            return new Stage(transition, kind, widths, stride, kernel, expansion, Objects.requireNonNull(skip, "skip"),
                    postActivation, pool, flattenAfter);
        }

        /** h = ReLU after each section (classic post-activation) instead of the identity. */
        public Stage postActivation(boolean relu) {
            return new Stage(transition, kind, widths, stride, kernel, expansion, skip, relu, pool, flattenAfter);
        }

        /** An ungated layer before the sections (e.g. VGG's channel changes). */
        public Stage transition(Layer layer) {
            return new Stage(layer, kind, widths, stride, kernel, expansion, skip, postActivation, pool, flattenAfter);
        }

        /** Max pooling after the sections. */
        public Stage pool(Pool pool) {
            return new Stage(transition, kind, widths, stride, kernel, expansion, skip, postActivation, pool, flattenAfter);
        }

        /** Flattens (C, H, W) to (H*W*C, 1, 1) after the sections and the pool. */
        public Stage flatten() {
            return new Stage(transition, kind, widths, stride, kernel, expansion, skip, postActivation, pool, true);
        }

        String json() {
            StringBuilder b = new StringBuilder("{");
            if (transition != null) {
                b.append("\"transition\":").append(transition.json(null)).append(',');
            }
            b.append("\"kind\":").append(quote(kind)).append(",\"widths\":[");
            for (int i = 0; i < widths.size(); i++) {
                b.append(i > 0 ? "," : "").append(widths.get(i));
            }
            b.append(']');
            if (!kind.equals("dense")) {
                b.append(",\"stride\":").append(stride).append(",\"kernel\":").append(kernel);
            }
            if (kind.equals("bottleneck")) {
                b.append(",\"expansion\":").append(expansion);
            }
            b.append(",\"skip\":").append(quote(skip.name().toLowerCase(java.util.Locale.ROOT)))
                    .append(",\"h\":").append(postActivation ? "\"relu\"" : "\"identity\"");
            if (pool != null) {
                b.append(",\"pool\":").append(pool.json());
            }
            if (flattenAfter) {
                b.append(",\"flatten\":true");
            }
            return b.append('}').toString();
        }
    }

    /**
     * Builds a description; {@link #spec()} validates it natively, {@link #build()} also creates the
     * model. Input, stem and head are required (nothing defaults silently).
     */
    public static final class Builder {
        private String name;
        private String input;
        private Layer stem;
        private Pool stemPool;
        private final List<Stage> stages = new ArrayList<>();
        private Integer classes;
        private String family;
        private long seed = 1;
        private Device device = Device.CPU;

        private Builder() {}

        /** Where {@link #build()} puts the model (default {@link Device#CPU}). */
        public Builder device(Device device) {
            this.device = Objects.requireNonNull(device, "device");
            return this;
        }

        /** A name for reports ("my-resnet"). */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Image input: channels x height x width, NHWC. */
        public Builder input(long channels, long height, long width) {
            this.input = "{\"channels\":" + channels + ",\"height\":" + height + ",\"width\":" + width + "}";
            return this;
        }

        /** Feature-vector input. */
        public Builder features(long features) {
            this.input = "{\"features\":" + features + "}";
            return this;
        }

        public Builder stem(Layer stem) {
            this.stem = Objects.requireNonNull(stem, "stem");
            return this;
        }

        /** The stem followed by a max pool (the ImageNet layout's 3x3 stride-2 pool). */
        public Builder stem(Layer stem, Pool pool) {
            this.stem = Objects.requireNonNull(stem, "stem");
            this.stemPool = Objects.requireNonNull(pool, "pool");
            return this;
        }

        public Builder stage(Stage stage) {
            stages.add(Objects.requireNonNull(stage, "stage"));
            return this;
        }

        /** Global average pooling (of a spatial value) and a dense layer to {@code classes} logits. */
        public Builder head(int classes) {
            this.classes = classes;
            return this;
        }

        /** The family whose training defaults apply: mlp, resnet, vgg or lenet (default: from the sections). */
        public Builder family(String family) {
            this.family = Objects.requireNonNull(family, "family");
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** The JSON of what was given (before validation). */
        public String toJson() {
            if (input == null) {
                throw new IllegalArgumentException("the architecture needs an input: input(c, h, w) or features(n)");
            }
            if (stem == null) {
                throw new IllegalArgumentException("the architecture needs a stem: stem(Layer.conv(..)) or "
                        + "stem(Layer.dense(..))");
            }
            if (classes == null) {
                throw new IllegalArgumentException("the architecture needs a head: head(classes)");
            }
            StringBuilder b = new StringBuilder("{\"version\":1");
            if (name != null) {
                b.append(",\"name\":").append(quote(name));
            }
            if (family != null) {
                b.append(",\"family\":").append(quote(family));
            }
            b.append(",\"input\":").append(input).append(",\"stem\":").append(stem.json(stemPool)).append(",\"stages\":[");
            for (int i = 0; i < stages.size(); i++) {
                b.append(i > 0 ? "," : "").append(stages.get(i).json());
            }
            return b.append("],\"head\":{\"classes\":").append(classes).append("}}").toString();
        }

        /**
         * Validates (natively) and returns the description.
         *
         * @throws IllegalArgumentException naming what is missing or the offending field
         */
        public Architecture spec() {
            return fromJson(toJson()).withSeed(seed);
        }

        /** Validates and creates the native model. */
        public Model build() {
            return spec().build(device);
        }
    }
}

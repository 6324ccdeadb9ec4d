package io.layerprune.runtime;

import io.layerprune.bindings.LayerpruneNative;
import io.layerprune.internal.Native;
import java.io.File;
import java.util.Objects;
import org.bytedeco.javacpp.Loader;

/**
 * This process's place in a data-parallel job (docs/SCALING.md): {@code mpirun -np N java ...}
 * (Open MPI) starts N processes, each calls {@link #init()}, and a trainer made distributed with
 * {@code Trainer.distributed(world)} trains on its rank's share of every batch; the ranks average
 * gradients and estimates in one all-reduce per step, so every rank takes the same steps and the
 * same pruning decisions. Rank 0 ({@link #isLead()}) is the one that should write reports,
 * checkpoints and exports. Without an MPI launcher, {@link #init()} gives a world of one process.
 *
 * <p>MPI comes from the machine (Debian: {@code apt-get install openmpi-bin}); the library loads its
 * MPI plugin only here, so a program that never calls {@code init} needs no MPI. A collective that
 * does not complete within {@code LAYERPRUNE_COMM_TIMEOUT} seconds (default 120: a rank died or
 * hangs) fails with an exception naming this rank.
 */
public final class Distributed {
    private static Distributed world;

    private final int rank;
    private final int size;

    private Distributed(int rank, int size) {
        this.rank = rank;
        this.size = size;
    }

    /** The job's world: MPI when an MPI launcher started this process, else one process. */
    public static Distributed init() {
        return init("auto");
    }

    /**
     * The job's world, opened once per process (later calls return it).
     *
     * @param mode {@code "auto"}, {@code "mpi"} (fails unless started by an MPI launcher) or {@code "off"}
     * @throws IllegalArgumentException for another mode
     */
    public static synchronized Distributed init(String mode) {
        Objects.requireNonNull(mode, "mode");
        if (!mode.equals("auto") && !mode.equals("mpi") && !mode.equals("off")) {
            throw new IllegalArgumentException("distributed mode must be auto, mpi or off, got '" + mode + "'");
        }
        if (world == null) {
            String plugin = mode.equals("off") || (mode.equals("auto") && !launched()) ? "" : pluginPath();
            int n = Native.callInt(() -> LayerpruneNative.distributed_init(mode, plugin));
            world = new Distributed(Native.callInt(LayerpruneNative::distributed_rank), n);
        }
        return world;
    }

    /** Whether an MPI launcher ({@code mpirun}) started this process. */
    public static boolean launched() {
        return Native.callInt(LayerpruneNative::distributed_launched) != 0;
    }

    public int rank() {
        return rank;
    }

    public int size() {
        return size;
    }

    /** Rank 0: the process that writes what the job produces. */
    public boolean isLead() {
        return rank == 0;
    }

    @Override
    public String toString() {
        return size == 1 ? "one process" : "rank " + rank + " of " + size + " (mpi)";
    }

    /** The MPI plugin from the classifier jar (extracted beside liblayerprune), or "" for the native default. */
    private static String pluginPath() {
        String resource = "/io/layerprune/bindings/" + Loader.getPlatform() + "/liblayerprune_mpi.so";
        try {
            File f = Loader.cacheResource(LayerpruneNative.class, resource);
            return f != null ? f.getAbsolutePath() : "";
        } catch (java.io.IOException e) {
            return "";  // the native side then names the plugin it could not load
        }
    }
}

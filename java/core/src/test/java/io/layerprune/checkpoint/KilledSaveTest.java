package io.layerprune.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerprune.model.Model;
import io.layerprune.runtime.Layerprune;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault injection (issue 8 item 6): a child JVM saves checkpoints in a loop and is killed with
 * SIGKILL at random moments. After every kill the last checkpoint must load, and after the next
 * successful save of the same target no temporary file may be left (stale temporaries of dead
 * processes are removed by that save).
 */
class KilledSaveTest {
    static final int MAX_KILLS = 30;
    static final long BUDGET_NANOS = TimeUnit.SECONDS.toNanos(28);
    static final int MIN_KILLS = 5;

    @TempDir
    Path dir;

    @Test
    void killedSavesNeverDamageThePreviousCheckpoint() throws Exception {
        Layerprune.setThreads(1);
        Path file = dir.resolve("loop.lpckpt");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Random random = new Random(42);
        int kills = 0;
        int withTemporary = 0;
        long started = System.nanoTime();
        while (kills < MAX_KILLS && System.nanoTime() - started < BUDGET_NANOS) {
            ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    SaveLoop.class.getName(), file.toString()).redirectError(ProcessBuilder.Redirect.DISCARD);
            // Writing the ~14 MB temporary then takes >= 110 ms (55 chunks of 256 KiB, 2 ms each), so a
            // kill at a random moment of a save mostly lands while the temporary is being written.
            pb.environment().put("LAYERPRUNE_FAULT_WRITE_DELAY_US", "2000");
            Process p = pb.start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            // Wait until one save has completed and the next has begun, then kill at a random moment
            // of it (serialising in memory, writing the temporary, renaming) or just after it.
            String line;
            boolean savedOnce = false;
            while ((line = out.readLine()) != null && !(savedOnce && line.startsWith("saving"))) {
                savedOnce |= line.startsWith("saved");
            }
            assertTrue(line != null, "child ended without saving");
            if (kills % 2 == 0) {
                // Every other kill: at a random moment after the save began (serialising in memory,
                // writing the temporary, renaming, or the next save).
                Thread.sleep(random.nextInt(150));
            } else {
                // The others: once the temporary exists, a random moment into writing it (which
                // takes >= 100 ms here), so kills surely land mid-write even on a loaded machine.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (temporaries(file).length == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                Thread.sleep(random.nextInt(50));
            }
            p.destroyForcibly();
            p.waitFor();
            kills++;
            if (temporaries(file).length > 0) {
                withTemporary++;  // killed in the middle of a save
            }
            // The previous checkpoint (or the one just completed) loads.
            try (Model m = Checkpoint.loadModel(file)) {
                assertEquals(12, m.sections());
            }
            // The next successful save of the same target cleans up the dead child's temporary.
            try (Model m = Checkpoint.loadModel(file)) {
                m.save(file);
            }
            assertEquals(0, temporaries(file).length, Arrays.toString(temporaries(file)));
        }
        System.out.println("KilledSaveTest: " + kills + " SIGKILLed saving processes survived (" + withTemporary
                + " killed mid-save, leaving a temporary), in " + (System.nanoTime() - started) / 1_000_000 + " ms");
        assertTrue(kills >= MIN_KILLS, "only " + kills + " kills in the time budget");
        // The test must really kill writers mid-save, not only between saves.
        assertTrue(withTemporary * 4 >= kills, "only " + withTemporary + " of " + kills
                + " kills landed while a temporary file was being written");
    }

    static String[] temporaries(Path file) {
        String prefix = file.getFileName() + ".tmp.";
        String[] names = new File(file.getParent().toString()).list((d, n) -> n.startsWith(prefix));
        return names == null ? new String[0] : names;
    }

}

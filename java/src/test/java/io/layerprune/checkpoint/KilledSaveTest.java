package io.layerprune.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerprune.Layerprune;
import io.layerprune.Model;
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
            Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    SaveLoop.class.getName(), file.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String first = out.readLine();  // the child has finished one save
            assertTrue(first != null && first.startsWith("saved"), "child did not save: " + first);
            Thread.sleep(random.nextInt(120));
            p.destroyForcibly();
            p.waitFor();
            kills++;
            if (temporaries(file).length > 0) {
                withTemporary++;  // killed in the middle of a save
            }
            // The previous checkpoint (or the one just completed) loads.
            try (Model m = Model.load(file)) {
                assertEquals(12, m.sections());
            }
            // The next successful save of the same target cleans up the dead child's temporary.
            try (Model m = Model.load(file)) {
                m.save(file);
            }
            assertEquals(0, temporaries(file).length, Arrays.toString(temporaries(file)));
        }
        System.out.println("KilledSaveTest: " + kills + " SIGKILLed saving processes survived (" + withTemporary
                + " killed mid-save, leaving a temporary), in " + (System.nanoTime() - started) / 1_000_000 + " ms");
        assertTrue(kills >= MIN_KILLS, "only " + kills + " kills in the time budget");
    }

    static String[] temporaries(Path file) {
        String prefix = file.getFileName() + ".tmp.";
        String[] names = new File(file.getParent().toString()).list((d, n) -> n.startsWith(prefix));
        return names == null ? new String[0] : names;
    }

}

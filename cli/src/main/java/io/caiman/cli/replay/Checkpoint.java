package io.caiman.cli.replay;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Where an interrupted replay resumes: the options it ran with, each partition's resolved range and next
 * offset, and how many bytes a file sink had delivered. Written after every flush of the sink (never before
 * it), by writing a new file and renaming it over the old one, so the file on disk is always a whole
 * checkpoint. A Java properties file, readable and editable by hand.
 *
 * @param options what the replay was asked to do (range, filters, sink); a resume with other options is refused
 * @param fromMs the time filter's start as resolved when the replay first started (inclusive), or Long.MIN_VALUE
 * @param toMs the time filter's end as resolved when the replay first started (exclusive), or Long.MAX_VALUE
 * @param ranges each partition's range: start and end as resolved when the replay first started
 * @param next each partition's next offset to replay
 * @param outputBytes the file sink's size at the checkpoint, or -1
 */
public record Checkpoint(String topic, String options, long fromMs, long toMs, Map<Integer, long[]> ranges, Map<Integer, Long> next,
        long outputBytes) {

    /** The checkpoint in {@code file}, or null if there is none. */
    public static Checkpoint read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return null;
        }
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        }
        try {
            Map<Integer, long[]> ranges = new TreeMap<>();
            Map<Integer, Long> next = new TreeMap<>();
            for (String name : p.stringPropertyNames()) {
                if (name.startsWith("partition.")) {
                    int partition = Integer.parseInt(name.substring("partition.".length()));
                    String[] v = p.getProperty(name).split(",");
                    ranges.put(partition, new long[] {Long.parseLong(v[0].trim()), Long.parseLong(v[1].trim())});
                    next.put(partition, Long.parseLong(v[2].trim()));
                }
            }
            String topic = require(p, "topic");
            return new Checkpoint(topic, require(p, "options"), Long.parseLong(require(p, "from_ms").trim()),
                    Long.parseLong(require(p, "to_ms").trim()), ranges, next,
                    Long.parseLong(p.getProperty("output_bytes", "-1").trim()));
        } catch (RuntimeException e) {
            throw new IOException("checkpoint " + file + " is not readable (" + e.getMessage() + "); it holds "
                    + "topic, options, from_ms, to_ms, output_bytes and partition.N=start,end,next lines", e);
        }
    }

    private static String require(Properties p, String name) {
        String v = p.getProperty(name);
        if (v == null) {
            throw new IllegalArgumentException("no " + name);
        }
        return v;
    }

    /** Writes the checkpoint to {@code file}, whole or not at all. */
    public void write(Path file) throws IOException {
        Properties p = new Properties();
        p.setProperty("topic", topic);
        p.setProperty("options", options);
        p.setProperty("from_ms", Long.toString(fromMs));
        p.setProperty("to_ms", Long.toString(toMs));
        p.setProperty("output_bytes", Long.toString(outputBytes));
        ranges.forEach((partition, range) -> p.setProperty("partition." + partition,
                range[0] + "," + range[1] + "," + next.get(partition)));
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                p.store(out, "caiman replay checkpoint: partition.N=start,end,next (offsets; end exclusive)");
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Whether every partition has reached its end. */
    public boolean complete() {
        return ranges.entrySet().stream().allMatch(e -> next.get(e.getKey()) >= e.getValue()[1]);
    }
}

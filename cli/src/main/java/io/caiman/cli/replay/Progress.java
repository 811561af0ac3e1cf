package io.caiman.cli.replay;

import java.io.PrintStream;
import java.util.Collection;
import java.util.Locale;

/**
 * Shows how far a replay is, on standard error (standard output may be the sink). On a terminal it redraws
 * one line per unfinished partition and a total line in place; elsewhere it prints the same as plain lines
 * every interval, for logs.
 */
public abstract class Progress {

    /**
     * One partition's range and how far the replay has read it. Written by one thread at a time (the replay's
     * handler, then the replay's thread once the handler has ended), so its counters are plain fields.
     */
    public static final class Partition {
        final int partition;
        final long start;
        final long end;
        long next;
        long records;
        long bytes;

        Partition(int partition, long start, long end, long next) {
            this.partition = partition;
            this.start = start;
            this.end = end;
            this.next = next;
        }

        boolean done() {
            return next >= end;
        }

        double fraction() {
            return end <= start ? 1 : Math.min(1, (double) (next - start) / (end - start));
        }
    }

    /** How progress is shown. */
    public enum Mode {
        AUTO, TTY, PLAIN, NONE
    }

    final long intervalMs;
    private long lastMs;

    Progress(long intervalMs) {
        this.intervalMs = intervalMs;
    }

    /** The progress display for {@code mode}; AUTO is TTY when the process has a console. */
    public static Progress of(Mode mode, PrintStream out, long plainIntervalMs) {
        Mode m = mode == Mode.AUTO ? (System.console() != null ? Mode.TTY : Mode.PLAIN) : mode;
        return switch (m) {
            case TTY -> new Tty(out);
            case PLAIN -> new Plain(out, plainIntervalMs);
            default -> new Progress(Long.MAX_VALUE) {
                @Override
                void show(Collection<Partition> partitions, long elapsedMs, boolean last) {}
            };
        };
    }

    /** Shows the state if the interval has passed since the last time, or always when {@code last}. */
    final void update(Collection<Partition> partitions, long elapsedMs, boolean last) {
        if (last || elapsedMs - lastMs >= intervalMs) {
            lastMs = elapsedMs;
            show(partitions, elapsedMs, last);
        }
    }

    abstract void show(Collection<Partition> partitions, long elapsedMs, boolean last);

    static String line(Partition p, long elapsedMs) {
        long done = p.next - p.start;
        long left = Math.max(0, p.end - p.next);
        double perSecond = elapsedMs > 0 ? done * 1000.0 / elapsedMs : 0;
        String eta = p.done() ? "done" : perSecond > 0 ? "ETA " + duration((long) (left / perSecond * 1000)) : "ETA ?";
        return String.format(Locale.ROOT, "partition %d: %5.1f%% offsets %d/%d · %s records · %s · %s/s · %s",
                p.partition, p.fraction() * 100, p.next, p.end, count(p.records), bytes(p.bytes),
                count((long) perSecond), eta);
    }

    static String total(Collection<Partition> partitions, long elapsedMs) {
        long records = 0;
        long bytes = 0;
        long range = 0;
        long done = 0;
        int finished = 0;
        for (Partition p : partitions) {
            records += p.records;
            bytes += p.bytes;
            range += Math.max(0, p.end - p.start);
            done += Math.max(0, Math.min(p.next, p.end) - p.start);
            finished += p.done() ? 1 : 0;
        }
        double seconds = Math.max(elapsedMs, 1) / 1000.0;
        String eta = done == 0 || done >= range ? "" : " · ETA " + duration((long) ((range - done) * seconds / done * 1000));
        return String.format(Locale.ROOT, "replay: %5.1f%% · %d/%d partitions done · %s records · %s · %s records/s · "
                + "%s/s · %s elapsed%s", range == 0 ? 100.0 : done * 100.0 / range, finished, partitions.size(),
                count(records), bytes(bytes), count((long) (records / seconds)), bytes((long) (bytes / seconds)),
                duration(elapsedMs), eta);
    }

    static String count(long n) {
        if (n < 10_000) {
            return Long.toString(n);
        }
        if (n < 10_000_000) {
            return String.format(Locale.ROOT, "%.1fk", n / 1e3);
        }
        return String.format(Locale.ROOT, "%.1fM", n / 1e6);
    }

    /** A byte count for people: 512 B, 1.5 KiB, 3.2 MiB, 1.05 GiB. */
    public static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        if (n < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
        }
        if (n < 1024L * 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f MiB", n / 1048576.0);
        }
        return String.format(Locale.ROOT, "%.2f GiB", n / 1073741824.0);
    }

    static String duration(long ms) {
        long s = ms / 1000;
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return (s / 60) + "m" + (s % 60) + "s";
        }
        return (s / 3600) + "h" + (s % 3600 / 60) + "m";
    }

    /** Redraws in place with ANSI cursor movement: one line per unfinished partition (at most 20), then the total. */
    private static final class Tty extends Progress {
        private final PrintStream out;
        private int drawn;

        Tty(PrintStream out) {
            super(250);
            this.out = out;
        }

        @Override
        void show(Collection<Partition> partitions, long elapsedMs, boolean last) {
            StringBuilder s = new StringBuilder();
            if (drawn > 0) {
                s.append("\033[").append(drawn).append('F');
            }
            int lines = 0;
            for (Partition p : partitions) {
                if (!p.done() && lines < 20) {
                    s.append("\033[2K").append(line(p, elapsedMs)).append('\n');
                    lines++;
                }
            }
            s.append("\033[2K").append(total(partitions, elapsedMs)).append('\n');
            for (int i = lines + 1; i < drawn; i++) {
                s.append("\033[2K\n");
            }
            int written = Math.max(drawn, lines + 1);
            if (written > lines + 1) {
                s.append("\033[").append(written - lines - 1).append('F');
            }
            drawn = lines + 1;
            out.print(s);
            out.flush();
        }
    }

    /** Plain lines every interval: the total, then each unfinished partition; a replay shorter than that prints none. */
    private static final class Plain extends Progress {
        private final PrintStream out;
        private boolean printed;

        Plain(PrintStream out, long intervalMs) {
            super(intervalMs);
            this.out = out;
        }

        @Override
        void show(Collection<Partition> partitions, long elapsedMs, boolean last) {
            if ((elapsedMs == 0 && !last) || (last && !printed && intervalMs > 0)) {
                return;
            }
            printed = true;
            out.println(total(partitions, elapsedMs));
            if (!last) {
                partitions.stream().filter(p -> !p.done()).limit(20).forEach(p -> out.println("  " + line(p, elapsedMs)));
            }
            out.flush();
        }
    }
}

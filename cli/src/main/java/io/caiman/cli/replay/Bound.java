package io.caiman.cli.replay;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One end of a replay range, as given to {@code --from} or {@code --to}:
 *
 * <ul>
 *   <li>{@code earliest} (the default start) or {@code latest} / {@code now} (the default end: the end of
 *       each partition when the replay starts);
 *   <li>an RFC 3339 time, {@code 2026-11-23T10:00:00Z} or with an offset such as {@code +01:00};
 *   <li>a duration ago, as Prometheus writes durations: {@code 90s}, {@code 15m}, {@code 2h}, {@code 1d},
 *       {@code 1h30m};
 *   <li>offsets: {@code offset:1200} for every partition, or {@code offset:0=1200,3=17} per partition
 *       (partitions not named start at their beginning and end at their end).
 * </ul>
 *
 * A start is inclusive and an end exclusive.
 */
public sealed interface Bound {

    /** The beginning or the end of each partition. */
    record Edge(boolean end) implements Bound {
        @Override
        public String toString() {
            return end ? "latest" : "earliest";
        }
    }

    /** A point in time, in milliseconds since the epoch. */
    record Time(long epochMs) implements Bound {
        @Override
        public String toString() {
            return Instant.ofEpochMilli(epochMs).toString();
        }
    }

    /**
     * Offsets: {@code all} for every partition, or per partition.
     *
     * @param all the offset of every partition, or -1 when given per partition
     */
    record Offsets(long all, Map<Integer, Long> perPartition) implements Bound {
        /** The offset of {@code partition}, or null when it is not named. */
        public Long of(int partition) {
            return all >= 0 ? Long.valueOf(all) : perPartition.get(partition);
        }

        @Override
        public String toString() {
            if (all >= 0) {
                return "offset:" + all;
            }
            StringBuilder s = new StringBuilder("offset:");
            perPartition.forEach((p, o) -> s.append(s.length() > 7 ? "," : "").append(p).append('=').append(o));
            return s.toString();
        }
    }

    Pattern DURATION_PART = Pattern.compile("(\\d+)(ms|s|m|h|d|w|y)");

    /**
     * Reads a bound.
     *
     * @param nowMs the time durations are counted back from
     * @throws IllegalArgumentException saying which forms are accepted
     */
    static Bound parse(String text, long nowMs) {
        String t = text.trim();
        switch (t) {
            case "earliest":
                return new Edge(false);
            case "latest":
            case "now":
                return new Edge(true);
            default:
                break;
        }
        if (t.startsWith("offset:")) {
            return offsets(t.substring("offset:".length()), text);
        }
        if (!t.isEmpty() && Character.isDigit(t.charAt(0)) && t.length() <= 20 && DURATION_PART.matcher(t).lookingAt()
                && !t.contains("-")) {
            return new Time(nowMs - duration(t, text).toMillis());
        }
        try {
            return new Time(OffsetDateTime.parse(t).toInstant().toEpochMilli());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + text + "' is not a time: give an RFC 3339 time "
                    + "(2026-11-23T10:00:00Z), a duration ago (90s, 15m, 2h, 1d, 1h30m), earliest, latest, or offsets "
                    + "(offset:1200, offset:0=1200,3=17)");
        }
    }

    private static Duration duration(String t, String text) {
        Matcher m = DURATION_PART.matcher(t);
        long ms = 0;
        int at = 0;
        while (at < t.length()) {
            if (!m.find(at) || m.start() != at) {
                throw new IllegalArgumentException("'" + text + "' is not a duration: write it as Prometheus does, "
                        + "e.g. 90s, 15m, 2h, 1d, 1h30m");
            }
            long n = Long.parseLong(m.group(1));
            long unit = switch (m.group(2)) {
                case "ms" -> 1;
                case "s" -> 1_000;
                case "m" -> 60_000;
                case "h" -> 3_600_000;
                case "d" -> 86_400_000;
                case "w" -> 7 * 86_400_000L;
                default -> 365 * 86_400_000L;
            };
            ms = Math.addExact(ms, Math.multiplyExact(n, unit));
            at = m.end();
        }
        return Duration.ofMillis(ms);
    }

    private static Offsets offsets(String spec, String text) {
        try {
            if (!spec.contains("=")) {
                long all = Long.parseLong(spec.trim());
                if (all < 0) {
                    throw new NumberFormatException();
                }
                return new Offsets(all, Map.of());
            }
            Map<Integer, Long> per = new TreeMap<>();
            for (String part : spec.split(",")) {
                String[] pv = part.split("=", 2);
                int p = Integer.parseInt(pv[0].trim());
                long o = Long.parseLong(pv[1].trim());
                if (p < 0 || o < 0 || per.put(p, o) != null) {
                    throw new NumberFormatException();
                }
            }
            return new Offsets(-1, java.util.Collections.unmodifiableMap(per));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("'" + text + "' is not a list of offsets: write offset:1200 for every "
                    + "partition or offset:0=1200,3=17 per partition (each partition once, no negative numbers)");
        }
    }
}

package io.caiman.core.config;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The type of a declared setting: how its text is read and how the type is described in problems and in
 * the generated reference. {@link #read} throws {@link IllegalArgumentException} with the rule the text
 * broke ("must be a whole number"); the binder turns that into a {@link ConfigProblem}.
 */
public abstract class SettingType<T> {

    private final String description;

    SettingType(String description) {
        this.description = description;
    }

    /** How the type reads in docs: "integer", "duration", … */
    public String description() {
        return description;
    }

    abstract T read(ConfigNode node);

    /** How a value of this type is written in docs and YAML. */
    String format(T value) {
        return String.valueOf(value);
    }

    static String scalar(ConfigNode node, String expected) {
        if (node instanceof ConfigNode.Scalar) {
            return ((ConfigNode.Scalar) node).text().trim();
        }
        throw new IllegalArgumentException("must be " + expected);
    }

    public static final SettingType<String> STRING = new SettingType<>("string") {
        @Override
        String read(ConfigNode node) {
            return scalar(node, "a single value");
        }
    };

    /** {@code true} or {@code false}. */
    public static final SettingType<Boolean> BOOLEAN = new SettingType<>("boolean") {
        @Override
        Boolean read(ConfigNode node) {
            String text = scalar(node, "true or false");
            if (text.equals("true") || text.equals("false")) {
                return Boolean.valueOf(text);
            }
            throw new IllegalArgumentException("must be true or false");
        }
    };

    public static final SettingType<Integer> INT = new SettingType<>("integer") {
        @Override
        Integer read(ConfigNode node) {
            return wholeNumber(node, Integer::valueOf);
        }
    };

    public static final SettingType<Long> LONG = new SettingType<>("integer") {
        @Override
        Long read(ConfigNode node) {
            return wholeNumber(node, Long::valueOf);
        }
    };

    /** A finite decimal number ({@code 0.25}, {@code 1e-3}). */
    public static final SettingType<Double> NUMBER = new SettingType<>("number") {
        @Override
        Double read(ConfigNode node) {
            String text = scalar(node, "a number");
            Double value = io.caiman.core.wire.Numbers.parseFloat(text);
            if (value == null || value.isNaN() || value.isInfinite()) {
                throw new IllegalArgumentException("must be a finite number");
            }
            return value;
        }
    };

    private static <N> N wholeNumber(ConfigNode node, java.util.function.Function<String, N> parse) {
        String text = scalar(node, "a whole number");
        try {
            return parse.apply(text.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be a whole number");
        }
    }

    private static final Pattern DURATION_PART = Pattern.compile("(\\d+)(ms|s|m|h|d|w)");

    /**
     * Reads a Prometheus-style duration: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h30m}, {@code 7d}, {@code 2w}.
     *
     * @throws IllegalArgumentException saying what a duration looks like
     */
    public static Duration parseDuration(String text) {
        Matcher m = DURATION_PART.matcher(text);
        Duration total = Duration.ZERO;
        int at = 0;
        while (m.find() && m.start() == at) {
            long n = Long.parseLong(m.group(1));
            switch (m.group(2)) {
                case "ms": total = total.plusMillis(n); break;
                case "s": total = total.plusSeconds(n); break;
                case "m": total = total.plusMinutes(n); break;
                case "h": total = total.plusHours(n); break;
                case "d": total = total.plusDays(n); break;
                default: total = total.plusDays(7 * n);
            }
            at = m.end();
        }
        if (at == 0 || at != text.length()) {
            throw new IllegalArgumentException("must be a duration such as 30s, 5m, 1h30m or 7d (units ms, s, m, h, d, w)");
        }
        return total;
    }

    /** Prometheus-style durations: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h30m}, {@code 7d}, {@code 2w}. */
    public static final SettingType<Duration> DURATION = new SettingType<>("duration") {
        @Override
        Duration read(ConfigNode node) {
            return parseDuration(scalar(node, "a duration such as 30s, 5m, 1h30m or 7d"));
        }

        @Override
        String format(Duration value) {
            return formatDuration(value);
        }
    };

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(|B|KB|KiB|MB|MiB|GB|GiB|TB|TiB)");

    /** Byte sizes: {@code 1048576}, {@code 512KiB}, {@code 64MiB}, {@code 1GB}. */
    public static final SettingType<Long> SIZE_BYTES = new SettingType<>("size") {
        @Override
        Long read(ConfigNode node) {
            String text = scalar(node, "a size such as 65536, 512KiB or 64MiB");
            Matcher m = SIZE.matcher(text);
            if (!m.matches()) {
                throw new IllegalArgumentException("must be a size such as 65536, 512KiB or 64MiB");
            }
            long n = Long.parseLong(m.group(1));
            switch (m.group(2)) {
                case "KB": return n * 1000;
                case "KiB": return n << 10;
                case "MB": return n * 1000_000;
                case "MiB": return n << 20;
                case "GB": return n * 1000_000_000;
                case "GiB": return n << 30;
                case "TB": return n * 1000_000_000_000L;
                case "TiB": return n << 40;
                default: return n;
            }
        }

        @Override
        String format(Long value) {
            return formatSize(value);
        }
    };

    /** A {@code host:port} address; a bare port means every interface ({@code 0.0.0.0:port}). */
    public static final SettingType<HostPort> HOST_PORT = new SettingType<>("host:port") {
        @Override
        HostPort read(ConfigNode node) {
            return HostPort.parse(scalar(node, "a host:port address"));
        }
    };

    public static final SettingType<URI> URL = new SettingType<>("URL") {
        @Override
        URI read(ConfigNode node) {
            String text = scalar(node, "a URL");
            try {
                URI uri = new URI(text);
                if (uri.getScheme() == null || uri.getHost() == null) {
                    throw new IllegalArgumentException("must be an absolute URL such as http://host:port/path");
                }
                return uri;
            } catch (java.net.URISyntaxException e) {
                throw new IllegalArgumentException("must be a URL (" + e.getReason() + ")");
            }
        }
    };

    /**
     * A list; a single scalar is read as a one-element list, and a scalar from env or flags splits on commas, within
     * brackets or not ({@code a,b} or {@code [a, b]}, as YAML writes a list on one line).
     */
    public static <E> SettingType<List<E>> listOf(SettingType<E> element) {
        return new SettingType<>("list of " + element.description()) {
            @Override
            List<E> read(ConfigNode node) {
                List<E> out = new ArrayList<>();
                if (node instanceof ConfigNode.Sequence) {
                    for (ConfigNode item : ((ConfigNode.Sequence) node).items()) {
                        out.add(element.read(item));
                    }
                } else {
                    String text = scalar(node, "a list").trim();
                    if (text.length() >= 2 && text.startsWith("[") && text.endsWith("]")) {
                        text = text.substring(1, text.length() - 1);
                    }
                    for (String part : text.split(",")) {
                        if (!part.isBlank()) {
                            out.add(element.read(new ConfigNode.Scalar(part.trim(), node.origin())));
                        }
                    }
                }
                return List.copyOf(out);
            }

            @Override
            String format(List<E> value) {
                List<String> shown = new ArrayList<>();
                value.forEach(v -> shown.add(element.format(v)));
                return "[" + String.join(", ", shown) + "]";
            }
        };
    }

    /** A closed set of words, matched without regard to case; the value is the lower-case word. */
    public static SettingType<String> oneOf(String... words) {
        return new SettingType<>("one of " + String.join(", ", words)) {
            @Override
            String read(ConfigNode node) {
                String text = scalar(node, "one of " + String.join(", ", words)).toLowerCase(Locale.ROOT);
                for (String w : words) {
                    if (w.equals(text)) {
                        return w;
                    }
                }
                throw new IllegalArgumentException("must be one of " + String.join(", ", words));
            }
        };
    }

    /** Free-form string properties (passed through to Kafka clients as they are). */
    public static final SettingType<Map<String, String>> PROPERTIES = new SettingType<>("map of string to string") {
        @Override
        Map<String, String> read(ConfigNode node) {
            if (!(node instanceof ConfigNode.Mapping)) {
                throw new IllegalArgumentException("must be a mapping of property names to values");
            }
            Map<String, String> out = new LinkedHashMap<>();
            ((ConfigNode.Mapping) node).entries().forEach((k, v) -> out.put(k, scalar(v, "a single value")));
            return Map.copyOf(out);
        }

        @Override
        String format(Map<String, String> value) {
            return value.isEmpty() ? "{}" : value.toString();
        }
    };

    public static String formatDuration(Duration d) {
        long ms = d.toMillis();
        if (ms == 0) {
            return "0s";
        }
        String[] units = {"w", "d", "h", "m", "s", "ms"};
        long[] sizes = {604_800_000L, 86_400_000L, 3_600_000L, 60_000L, 1000L, 1L};
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < units.length; i++) {
            if (ms >= sizes[i]) {
                sb.append(ms / sizes[i]).append(units[i]);
                ms %= sizes[i];
            }
        }
        return sb.toString();
    }

    static String formatSize(long bytes) {
        String[] units = {"TiB", "GiB", "MiB", "KiB"};
        int[] shifts = {40, 30, 20, 10};
        for (int i = 0; i < units.length; i++) {
            if (bytes > 0 && bytes % (1L << shifts[i]) == 0) {
                return (bytes >> shifts[i]) + units[i];
            }
        }
        return Long.toString(bytes);
    }
}

package io.caiman.core.model;

/**
 * What names Caiman accepts. Validators return {@code null} when the name is valid, or the reason it is
 * not, so callers can report it as a value (a parser error, a config problem).
 *
 * <p>Metric and label names follow the Prometheus classic character set:
 * {@code [a-zA-Z_:][a-zA-Z0-9_:]*} for metric names and {@code [a-zA-Z_][a-zA-Z0-9_]*} for label names.
 * Names outside it are refused, never rewritten. Tenants follow Grafana Mimir's rules less the
 * characters that would be ambiguous in a series key: 1 to 150 of {@code [a-zA-Z0-9!_.*'()-]}, not
 * {@code .} or {@code ..}.
 */
public final class Naming {

    public static final String DEFAULT_TENANT = "default";

    private Naming() {}

    public static String validateMetricName(String name) {
        return validateName("metric name", name, true, "[a-zA-Z_:][a-zA-Z0-9_:]*");
    }

    public static String validateLabelName(String name) {
        return validateName("label name", name, false, "[a-zA-Z_][a-zA-Z0-9_]*");
    }

    private static String validateName(String what, String name, boolean colon, String allowed) {
        if (name == null || name.isEmpty()) {
            return what + " is empty";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = c == '_' || (colon && c == ':') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                    || (i > 0 && c >= '0' && c <= '9');
            if (!ok) {
                return String.format("%s '%s' has '%s' at position %d; allowed: %s", what, name, printable(c), i + 1, allowed);
            }
        }
        return null;
    }

    public static String validateTenant(String tenant) {
        if (tenant == null || tenant.isEmpty()) {
            return "tenant is empty";
        }
        if (tenant.length() > 150) {
            return "tenant is longer than 150 characters";
        }
        if (tenant.equals(".") || tenant.equals("..")) {
            return "tenant may not be '.' or '..'";
        }
        for (int i = 0; i < tenant.length(); i++) {
            char c = tenant.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!_.*'()-".indexOf(c) >= 0;
            if (!ok) {
                return String.format("tenant '%s' has '%s' at position %d; allowed: [a-zA-Z0-9!_.*'()-]",
                        tenant, printable(c), i + 1);
            }
        }
        return null;
    }

    /**
     * A name from a format whose names are not Prometheus names (line protocol, Graphite paths) as a metric
     * ({@code metric}) or label name: every character outside the set becomes {@code _}, and a leading digit
     * gets a {@code _} before it — the rule Telegraf's Prometheus output and Prometheus' Graphite exporter
     * follow. Never used on Prometheus formats, whose names are refused when invalid, not rewritten.
     */
    public static String translate(String name, boolean metric) {
        StringBuilder sb = null;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
                    || (metric && c == ':');
            if (!ok && sb == null) {
                sb = new StringBuilder(name.length()).append(name, 0, i);
            }
            if (sb != null) {
                sb.append(ok ? c : '_');
            }
            if (Character.isHighSurrogate(c) && i + 1 < name.length() && Character.isLowSurrogate(name.charAt(i + 1))) {
                i++; // one code point, one '_'
            }
        }
        String out = sb == null ? name : sb.toString();
        return !out.isEmpty() && out.charAt(0) >= '0' && out.charAt(0) <= '9' ? "_" + out : out;
    }

    public static boolean isValidMetricName(String name) {
        return validateMetricName(name) == null;
    }

    public static boolean isValidLabelName(String name) {
        return validateLabelName(name) == null;
    }

    private static String printable(char c) {
        return c < 0x20 || c == 0x7f ? String.format("\\u%04x", (int) c) : String.valueOf(c);
    }
}

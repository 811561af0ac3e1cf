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

package io.caiman.core.wire;

/**
 * JSON text for the few small documents Caiman writes by hand (error bodies, attribute values): written here
 * because a string literal is all they need, and pulling a JSON library into every process for it would not be.
 */
public final class Json {

    private Json() {}

    /** {@code s} as a JSON string literal, quotes included (RFC 8259 §7). */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}

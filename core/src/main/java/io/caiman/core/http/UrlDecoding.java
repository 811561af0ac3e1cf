package io.caiman.core.http;

import io.caiman.core.wire.Utf8;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Percent-decoding of a URL's parts, exactly or not at all. Written here because the JDK's and Jetty's decoders
 * replace bytes that are not UTF-8 with U+FFFD, and a value that becomes a label must be taken as sent or refused;
 * and {@code URLDecoder} always reads {@code +} as a space, which is right in a query and wrong in a path.
 */
public final class UrlDecoding {

    private UrlDecoding() {}

    /**
     * {@code s} with every {@code %XX} decoded (and, in a query, every {@code +} read as a space), as bytes.
     *
     * @param what the part, for the error: {@code the query parameter extra_label}
     * @throws HttpError 400 for a {@code %} not followed by two hex digits
     */
    public static byte[] bytes(String s, boolean plusIsSpace, String what) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                int high = i + 2 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
                int low = high >= 0 ? Character.digit(s.charAt(i + 2), 16) : -1;
                if (low < 0) {
                    throw new HttpError(400, what + " has a '%' not followed by two hex digits");
                }
                out.write(high << 4 | low);
                i += 2;
            } else if (c == '+' && plusIsSpace) {
                out.write(' ');
            } else if (c < 0x80) {
                out.write(c);
            } else { // a client that sent the character itself, unencoded
                int cp = s.codePointAt(i);
                byte[] encoded = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
                out.write(encoded, 0, encoded.length);
                i += Character.charCount(cp) - 1;
            }
        }
        return out.toByteArray();
    }

    /**
     * {@code bytes} as text.
     *
     * @throws HttpError 400 naming the first byte that is not UTF-8
     */
    public static String text(byte[] bytes, String what) {
        int bad = Utf8.invalidAt(bytes, 0, bytes.length);
        if (bad >= 0) {
            throw new HttpError(400, what + " is " + Utf8.describe(bytes, bad, bytes.length) + " (its byte " + bad
                    + ")");
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** {@link #bytes} then {@link #text}. */
    public static String decode(String s, boolean plusIsSpace, String what) {
        return text(bytes(s, plusIsSpace, what), what);
    }
}

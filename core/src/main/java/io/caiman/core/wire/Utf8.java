package io.caiman.core.wire;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Where a run of bytes stops being UTF-8, so that every decoder's error names the place: the line's column and the
 * byte, not only the line. The check itself is the JDK's strict decoder (overlong forms, surrogates and truncated
 * sequences refused); this class only reads where it stopped.
 */
public final class Utf8 {

    private Utf8() {}

    /**
     * A decoder that refuses bytes that are not UTF-8, where the JDK's default one replaces them with U+FFFD. A decoder
     * keeps state: one per parse, never shared between threads.
     */
    public static CharsetDecoder strictDecoder() {
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
    }

    /** {@code b[from, to)} as text, with {@code decoder} ({@link #strictDecoder}); {@code null} if it is not UTF-8. */
    public static String decode(CharsetDecoder decoder, byte[] b, int from, int to) {
        try {
            return decoder.decode(ByteBuffer.wrap(b, from, to - from)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** {@code b[from, to)} as text; {@code null} if it is not UTF-8 ({@link #invalidAt} says where). */
    public static String decode(byte[] b, int from, int to) {
        return decode(strictDecoder(), b, from, to);
    }

    /** The offset in {@code b} of the first byte of the first sequence in {@code b[from, to)} that is not UTF-8; -1 if none. */
    public static int invalidAt(byte[] b, int from, int to) {
        CharsetDecoder decoder = strictDecoder();
        ByteBuffer in = ByteBuffer.wrap(b, from, to - from);
        CoderResult result = decoder.decode(in, CharBuffer.allocate(to - from), true);
        return result.isError() ? in.position() : -1;
    }

    /**
     * The 1-based column, in characters (code points), of the byte at {@code at} in a line that starts at
     * {@code lineStart} and is UTF-8 up to {@code at}: one more than the characters before it.
     */
    public static int column(byte[] b, int lineStart, int at) {
        int column = 1;
        for (int i = lineStart; i < at; i++) {
            if ((b[i] & 0xC0) != 0x80) { // not a continuation byte: a character starts here
                column++;
            }
        }
        return column;
    }

    /**
     * What is wrong at {@code at}, the offset {@link #invalidAt} gave, for an error message: the bytes of the sequence
     * that is not UTF-8, as in {@code not valid UTF-8: 0xC3 0x28}.
     */
    public static String describe(byte[] b, int at, int to) {
        CoderResult result = strictDecoder().decode(ByteBuffer.wrap(b, at, to - at), CharBuffer.allocate(to - at), true);
        int length = result.isError() ? Math.max(1, result.length()) : 1;
        StringBuilder text = new StringBuilder("not valid UTF-8:");
        for (int i = at; i < Math.min(at + length, to); i++) {
            text.append(String.format(Locale.ROOT, " 0x%02X", b[i] & 0xFF));
        }
        return text.toString();
    }
}

package io.caiman.core.wire;

import java.nio.charset.CharsetDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Splits a chunk of a line protocol (Graphite, StatsD) into lines: {@code \n} ends a line, a {@code \r} before
 * it is dropped, lines are numbered from 1. ASCII lines (nearly all) are copied as they are; the rest are
 * decoded as strict UTF-8 with one decoder per chunk.
 */
public final class TextLines {

    /** Receives each valid line with its 1-based number. */
    @FunctionalInterface
    public interface Visitor {
        void line(int lineNo, String line);
    }

    private TextLines() {}

    /** Receives a line that is not valid UTF-8: its number, the column where it stops being UTF-8, and why. */
    @FunctionalInterface
    public interface NotUtf8 {
        void line(int lineNo, int column, String reason);
    }

    /** @param notUtf8 receives each line that is not valid UTF-8 (it is not visited) */
    public static void forEach(byte[] chunk, Visitor visitor, NotUtf8 notUtf8) {
        CharsetDecoder utf8 = null;
        int lineNo = 0;
        int start = 0;
        while (start < chunk.length) {
            int end = start;
            while (end < chunk.length && chunk[end] != '\n') {
                end++;
            }
            lineNo++;
            int stop = end > start && chunk[end - 1] == '\r' ? end - 1 : end;
            String line;
            int lineStart = start;
            if (isAscii(chunk, start, stop)) {
                line = new String(chunk, start, stop - start, StandardCharsets.ISO_8859_1);
            } else {
                if (utf8 == null) {
                    utf8 = Utf8.strictDecoder();
                }
                line = Utf8.decode(utf8, chunk, start, stop);
            }
            start = end + 1;
            if (line == null) {
                int at = Utf8.invalidAt(chunk, lineStart, stop);
                notUtf8.line(lineNo, Utf8.column(chunk, lineStart, at), Utf8.describe(chunk, at, stop));
            } else {
                visitor.line(lineNo, line);
            }
        }
    }

    private static boolean isAscii(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] < 0) {
                return false;
            }
        }
        return true;
    }
}
